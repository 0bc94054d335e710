package deploytest_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Where things are, from the repository's top directory, where helm runs.
const (
	chartDir    = "deploy/helm/linkwatch"
	examplesDir = "deploy/helm/examples"
	testdataDir = "cmd/linkwatch/internal/deploytest/testdata"
	helmBinary  = ".cache/bin/helm" // installed by make helm
)

// The release the chart is rendered as.
const (
	release   = "linkwatch"
	namespace = "linkwatch"
	// kubeVersion is the Kubernetes of k8s.io/api in go.mod. A helm built
	// with go install, as make helm does, assumes 1.20 without it, older
	// than the chart's kubeVersion.
	kubeVersion = "1.37.0"
)

// repoRoot is the repository's top directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "..", ".."))
	if err != nil {
		t.Fatalf("find the repository: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("find the repository: %v", err)
	}
	return root
}

// helmPath returns the helm that make helm installs. Without it the test
// is skipped, saying how to install it, except in CI, where make test has
// installed it and its absence is a failure.
func helmPath(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(repoRoot(t), helmBinary)
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("helm is not installed at %s: run  make helm", helmBinary)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// helm runs helm in the repository's top directory with its own empty
// home, and returns its standard output, or an error holding its output.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(helmPath(t), args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// helm lint says what is wrong on standard output.
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

func valuesArgs(files []string) []string {
	var args []string
	for _, f := range files {
		args = append(args, "--values", f)
	}
	return args
}

// render is `helm template` of the chart with the values files, in order.
func render(t *testing.T, files ...string) (string, error) {
	t.Helper()
	args := []string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}
	return helm(t, append(args, valuesArgs(files)...)...)
}

// lint is `helm lint --strict` of the chart with the values files.
func lint(t *testing.T, files ...string) error {
	t.Helper()
	args := []string{"lint", chartDir, "--strict", "--namespace", namespace, "--kube-version", kubeVersion}
	_, err := helm(t, append(args, valuesArgs(files)...)...)
	return err
}

// objects is a rendering decoded, each object into its API type.
type objects struct {
	configMaps      []*corev1.ConfigMap
	serviceAccounts []*corev1.ServiceAccount
	services        []*corev1.Service
	deployments     []*appsv1.Deployment
	budgets         []*policyv1.PodDisruptionBudget
	policies        []*networkingv1.NetworkPolicy
	serviceMonitors []*monitoringv1.ServiceMonitor
	all             []metav1.Object
}

// decode splits a rendering into its YAML documents and decodes each
// strictly (an unknown or duplicate field is an error) into the type of
// its apiVersion and kind, which must be one the chart renders.
func decode(manifests string) (*objects, error) {
	objs := &objects{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifests)))
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read document %d: %w", i, err)
		}
		var fields map[string]any
		if err := yaml.Unmarshal(doc, &fields); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(fields) == 0 {
			continue // comments only
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("document %d: read its kind: %w", i, err)
		}
		if err := objs.add(tm, doc); err != nil {
			return nil, fmt.Errorf("document %d (%s %s): %w", i, tm.APIVersion, tm.Kind, err)
		}
	}
}

func (o *objects) add(tm metav1.TypeMeta, doc []byte) error {
	switch gvk := tm.GroupVersionKind(); gvk {
	case corev1.SchemeGroupVersion.WithKind("ConfigMap"):
		return strictInto(doc, &o.configMaps, &o.all)
	case corev1.SchemeGroupVersion.WithKind("ServiceAccount"):
		return strictInto(doc, &o.serviceAccounts, &o.all)
	case corev1.SchemeGroupVersion.WithKind("Service"):
		return strictInto(doc, &o.services, &o.all)
	case appsv1.SchemeGroupVersion.WithKind("Deployment"):
		return strictInto(doc, &o.deployments, &o.all)
	case policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"):
		return strictInto(doc, &o.budgets, &o.all)
	case networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"):
		return strictInto(doc, &o.policies, &o.all)
	case monitoringv1.SchemeGroupVersion.WithKind(monitoringv1.ServiceMonitorsKind):
		return strictInto(doc, &o.serviceMonitors, &o.all)
	default:
		return fmt.Errorf("%s is not a kind the chart renders", gvk)
	}
}

// strictInto decodes doc strictly into a new T and appends it to list and
// to all.
func strictInto[T any, PT interface {
	*T
	metav1.Object
}](doc []byte, list *[]PT, all *[]metav1.Object) error {
	obj := PT(new(T))
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return fmt.Errorf("decode strictly: %w", err)
	}
	*list = append(*list, obj)
	*all = append(*all, obj)
	return nil
}
