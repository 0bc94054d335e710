// Package deploytest checks linkwatch's Kubernetes deployment without a
// cluster: its tests lint and render the Helm chart (deploy/helm/linkwatch)
// with several values files, decode every rendered object strictly into its
// Kubernetes API type, parse the rendered linkwatch.yaml with linkwatch's
// own configuration parser, check that each site's workers are pinned to
// the site and hold only its secrets, and keep deploy/k8s, the chart
// rendered for GitOps users, up to date (go test -run TestK8sManifests
// -update, or make k8s). The package has no code of its own: it lives
// under cmd/linkwatch so that its tests may import the internal config
// package, and its Kubernetes dependencies stay out of the binary.
package deploytest
