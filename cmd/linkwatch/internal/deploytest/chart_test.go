package deploytest_test

import (
	"bytes"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite deploy/k8s/linkwatch.yaml from the chart")

// site is what a rendering should give one site's workers.
type site struct {
	replicas    int32
	credentials string   // the Secret of the site's device passwords
	nats        string   // the Secret of the site's workers' nkey
	cidrs       []string // where its workers may connect besides NATS and DNS; nil: no NetworkPolicy
}

// renderCase is a set of values files and what the chart should make of
// them.
type renderCase struct {
	name           string
	files          []string // on top of the chart's values.yaml, in order
	sites          map[string]site
	serviceMonitor bool
}

var (
	twoSites = filepath.Join(examplesDir, "two-sites.yaml")
	monitor  = filepath.Join(examplesDir, "servicemonitor.yaml")
)

var twoSitesWant = map[string]site{
	"dc1":    {replicas: 3, credentials: "linkwatch-devices-dc1", nats: "linkwatch-nats-worker-dc1", cidrs: []string{"10.10.0.0/24"}},
	"branch": {replicas: 1, credentials: "linkwatch-devices-branch", nats: "linkwatch-nats-worker-branch", cidrs: []string{"10.20.0.0/24"}},
}

var renderCases = []renderCase{
	{
		name:  "chart defaults",
		sites: map[string]site{"dc1": {replicas: 2, credentials: "linkwatch-devices-dc1", nats: "linkwatch-nats-worker-dc1", cidrs: []string{"192.0.2.0/24"}}},
	},
	{
		name:  "minimal",
		files: []string{filepath.Join(testdataDir, "minimal.yaml")},
		sites: map[string]site{"lab": {replicas: 1, credentials: "lab-devices", nats: "lab-nats"}},
	},
	{
		name:  "two sites",
		files: []string{twoSites},
		sites: twoSitesWant,
	},
	{
		name:           "two sites with a ServiceMonitor",
		files:          []string{twoSites, monitor},
		sites:          twoSitesWant,
		serviceMonitor: true,
	},
}

// TestLint runs helm lint --strict on every set of good values.
func TestLint(t *testing.T) {
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := lint(t, tc.files...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRender renders the chart for every set of good values, decodes
// every object strictly and checks what it deploys.
func TestRender(t *testing.T) {
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := render(t, tc.files...)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := decode(out)
			if err != nil {
				t.Fatalf("decode the rendering: %v", err)
			}
			checkRendering(t, objs, tc)
		})
	}
}

// TestBadValues renders values the chart must refuse, with an error that
// says what is wrong: by values.schema.json, which helm lint, template and
// install apply, or by the templates, which helm lint only logs.
func TestBadValues(t *testing.T) {
	for _, tc := range []struct {
		file   string
		want   string
		schema bool // refused by values.schema.json
	}{
		{"bad-site-name.yaml", `at '/sites/0/name': 'DC_1' does not match pattern`, true},
		{"bad-site-secret.yaml", `at '/sites/1': missing property 'natsSecret'`, true},
		{"bad-typo.yaml", `additional properties 'site' not allowed`, true},
		{"bad-redis-url.yaml", `at '/config/state/redis_url': 'redis-master:6379' does not match pattern`, true},
		{"bad-site-without-devices.yaml", `sites: "dc2" has no device in config.devices`, false},
		{"bad-device-site.yaml", `config.devices: site "dc2" has no entry in sites`, false},
		{"bad-password-env.yaml", `config.credentials.lab.password_env: workers read device passwords from files of their site's credentials Secret`, false},
		{"bad-password-file.yaml", `config.credentials.lab.password_file: "/run/secrets/lab" is not under /etc/linkwatch/secrets/devices/`, false},
		{"bad-nkey.yaml", `config.nats.nkey_seed_file: the chart logs each pod in with its role's nkey`, false},
		{"bad-no-cidrs.yaml", `sites: "dc1" has no deviceCIDRs`, false},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".yaml"), func(t *testing.T) {
			file := filepath.Join(testdataDir, tc.file)
			out, err := render(t, file)
			if err == nil {
				t.Fatalf("helm template accepted %s:\n%s", tc.file, out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template of %s: the error does not say %q:\n%v", tc.file, tc.want, err)
			}
			if !tc.schema {
				return
			}
			if err := lint(t, file); err == nil {
				t.Errorf("helm lint accepted %s", tc.file)
			} else if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm lint of %s: the error does not say %q:\n%v", tc.file, tc.want, err)
			}
		})
	}
}

// k8sManifests is the chart rendered for examples/two-sites.yaml, for
// those who apply plain manifests.
const k8sManifests = "deploy/k8s/linkwatch.yaml"

const k8sHeader = `# linkwatch for Kubernetes as plain manifests: the Helm chart
# deploy/helm/linkwatch rendered for deploy/helm/examples/two-sites.yaml,
# release "linkwatch" in namespace "linkwatch". Do not edit: change the
# chart or the example, then regenerate it with
#   make k8s
# (go test ./cmd/linkwatch/internal/deploytest -run TestK8sManifests -update).
# deploy/README.md (Kubernetes) says which Secrets to create first.
`

// TestK8sManifests fails when deploy/k8s is not what the chart renders
// for the example; -update rewrites it.
func TestK8sManifests(t *testing.T) {
	out, err := render(t, twoSites)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte(k8sHeader + out)
	path := filepath.Join(repoRoot(t), k8sManifests)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("write %s: %v", k8sManifests, err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatalf("write %s: %v", k8sManifests, err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the rendered manifests: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the chart renders for %s: run  make k8s", k8sManifests, twoSites)
	}
	if _, err := decode(string(got)); err != nil {
		t.Fatalf("decode %s: %v", k8sManifests, err)
	}
}

// sortedSites is the names of the sites of a case, sorted.
func sortedSites(sites map[string]site) []string {
	return slices.Sorted(maps.Keys(sites))
}
