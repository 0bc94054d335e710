package deploytest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

// What the chart promises about its pods.
const (
	componentLabel = "app.kubernetes.io/component"
	siteLabel      = "linkwatch.io/site"
	configDir      = "/etc/linkwatch/config"
	configFile     = configDir + "/linkwatch.yaml"
	dataDir        = "/var/lib/linkwatch"
	secretsDir     = "/etc/linkwatch/secrets" // the copies linkwatch reads
	secretVolumes  = "/secret-volumes"        // where the copying init container reads the Secrets
	caDir          = "/etc/linkwatch/ca"
	metricsPort    = "metrics"
)

// checkRendering checks the objects of one rendering against its case.
func checkRendering(t *testing.T, objs *objects, tc renderCase) {
	checkMeta(t, objs)
	cfg := checkConfig(t, objs, tc)
	pods := podsOf(t, objs, tc)
	for _, p := range pods {
		t.Run(p.name, func(t *testing.T) { checkPod(t, p) })
	}
	checkWorkers(t, pods, tc)
	checkFiles(t, cfg, pods)
	checkServiceAccount(t, objs, pods)
	checkBudgets(t, objs, pods)
	checkPolicies(t, objs, pods, tc)
	checkMonitoring(t, objs, pods, tc.serviceMonitor)
}

// checkMeta checks every object's name, namespace and labels as the API
// server would, and that it carries the release's labels.
func checkMeta(t *testing.T, objs *objects) {
	for _, o := range objs.all {
		for _, msg := range validation.IsDNS1123Subdomain(o.GetName()) {
			t.Errorf("%s: name: %s", o.GetName(), msg)
		}
		if o.GetNamespace() != namespace {
			t.Errorf("%s: namespace %q, want %q", o.GetName(), o.GetNamespace(), namespace)
		}
		checkLabels(t, o.GetName(), o.GetLabels())
		if l := o.GetLabels(); l["app.kubernetes.io/name"] != "linkwatch" || l["app.kubernetes.io/instance"] != release {
			t.Errorf("%s: labels %v lack the release's name and instance", o.GetName(), l)
		}
	}
}

func checkLabels(t *testing.T, what string, l map[string]string) {
	for k, v := range l {
		for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
			t.Errorf("%s: label %s=%s: %s", what, k, v, msg)
		}
	}
}

// checkConfig parses the ConfigMap's linkwatch.yaml with linkwatch's own
// parser, as every pod will at start, and checks what the chart sets in it.
func checkConfig(t *testing.T, objs *objects, tc renderCase) *config.Config {
	t.Helper()
	if len(objs.configMaps) != 1 {
		t.Fatalf("%d ConfigMaps, want 1 (linkwatch.yaml)", len(objs.configMaps))
	}
	cm := objs.configMaps[0]
	data, ok := cm.Data["linkwatch.yaml"]
	if !ok {
		t.Fatalf("ConfigMap %s has no linkwatch.yaml", cm.Name)
	}
	cfg, err := config.Parse(configFile, []byte(data))
	if err != nil {
		t.Fatalf("linkwatch's parser refuses the rendered linkwatch.yaml:\n%v\n%s", err, data)
	}
	if got, want := cfg.Sites(), sortedSites(tc.sites); !slices.Equal(got, want) {
		t.Errorf("linkwatch.yaml has devices at sites %v, want %v", got, want)
	}
	for _, c := range []struct{ what, got, want string }{
		{"data_dir", cfg.DataDir, dataDir},
		{"nats.nkey_seed_file", cfg.NATS.NkeySeedFile, secretsDir + "/nats/seed"},
	} {
		if c.got != c.want {
			t.Errorf("linkwatch.yaml: %s is %q, want %q", c.what, c.got, c.want)
		}
	}
	return cfg
}

// pod is one Deployment's pod template, named after its role.
type pod struct {
	name      string // scheduler, notifier or worker-SITE
	component string
	site      string
	dep       *appsv1.Deployment
	spec      *corev1.PodSpec
	main      *corev1.Container
}

// podsOf returns the pods of the Deployments, checking that there is a
// scheduler, a notifier and a worker Deployment per site, and nothing else.
func podsOf(t *testing.T, objs *objects, tc renderCase) []pod {
	t.Helper()
	var pods []pod
	var names []string
	for _, d := range objs.deployments {
		l := d.Spec.Template.Labels
		p := pod{component: l[componentLabel], site: l[siteLabel], dep: d, spec: &d.Spec.Template.Spec}
		p.name = p.component
		if p.site != "" {
			p.name += "-" + p.site
		}
		if len(p.spec.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", d.Name, len(p.spec.Containers))
		}
		p.main = &p.spec.Containers[0]
		pods = append(pods, p)
		names = append(names, p.name)
	}
	want := []string{"notifier", "scheduler"}
	for _, s := range sortedSites(tc.sites) {
		want = append(want, "worker-"+s)
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Fatalf("Deployments for %v, want %v", names, want)
	}
	return pods
}

// checkPod checks a pod's security, probes, configuration and secrets.
func checkPod(t *testing.T, p pod) {
	sel, err := metav1.LabelSelectorAsSelector(p.dep.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(p.dep.Spec.Template.Labels)) {
		t.Errorf("the Deployment's selector %v does not select its pods (%v)", p.dep.Spec.Selector, err)
	}
	checkLabels(t, "pod", p.dep.Spec.Template.Labels)
	checkSecurity(t, p.spec)
	checkArgs(t, p)
	checkProbes(t, p.main)
	checkVolumes(t, p)
}

func checkSecurity(t *testing.T, spec *corev1.PodSpec) {
	if a := spec.AutomountServiceAccountToken; a == nil || *a {
		t.Error("automountServiceAccountToken is not false")
	}
	psc := spec.SecurityContext
	switch {
	case psc == nil:
		t.Fatal("no pod securityContext")
	case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
		t.Error("pod securityContext: runAsNonRoot is not true")
	case psc.RunAsUser == nil || *psc.RunAsUser == 0:
		t.Error("pod securityContext: runAsUser is not a user other than root")
	case psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
		t.Error("pod securityContext: seccompProfile is not RuntimeDefault")
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("container %s: no securityContext", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		case sc.Privileged != nil && *sc.Privileged:
			t.Errorf("container %s: privileged", c.Name)
		case sc.RunAsUser != nil && *sc.RunAsUser == 0:
			t.Errorf("container %s: runs as root", c.Name)
		case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
			t.Errorf("container %s: capabilities %v, want drop ALL and add none", c.Name, sc.Capabilities)
		}
		if len(c.EnvFrom) > 0 || slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.ValueFrom != nil }) {
			t.Errorf("container %s: takes values from the environment's sources; secrets are files only", c.Name)
		}
	}
}

// checkArgs checks the command line: the role, the configuration file
// mounted from the ConfigMap, the metrics address.
func checkArgs(t *testing.T, p pod) {
	args := p.main.Args
	if len(args) == 0 || args[0] != p.component {
		t.Errorf("args %q: not the %s command", args, p.component)
	}
	port := containerPort(p.main, metricsPort)
	for flag, want := range map[string]string{"--config": configFile, "--metrics-listen": fmt.Sprintf(":%d", port)} {
		if got := flagValues(args, flag); !slices.Equal(got, []string{want}) {
			t.Errorf("args %q: %s %q, want %q once", args, flag, got, want)
		}
	}
}

// flagValues returns the values of flag in args, given as "flag value" or
// "flag=value".
func flagValues(args []string, flag string) []string {
	var values []string
	for i, a := range args {
		switch {
		case a == flag && i+1 < len(args):
			values = append(values, args[i+1])
		case a == flag:
			values = append(values, "")
		case strings.HasPrefix(a, flag+"="):
			values = append(values, strings.TrimPrefix(a, flag+"="))
		}
	}
	return values
}

func containerPort(c *corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

// checkProbes checks that the kubelet asks /healthz and /readyz on the
// metrics port.
func checkProbes(t *testing.T, c *corev1.Container) {
	if containerPort(c, metricsPort) == 0 {
		t.Fatalf("container %s: no %q port", c.Name, metricsPort)
	}
	for _, pr := range []struct {
		what  string
		probe *corev1.Probe
		path  string
	}{{"startupProbe", c.StartupProbe, "/healthz"}, {"livenessProbe", c.LivenessProbe, "/healthz"}, {"readinessProbe", c.ReadinessProbe, "/readyz"}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s: not an HTTP GET", pr.what)
			continue
		}
		if g := pr.probe.HTTPGet; g.Path != pr.path || g.Port.String() != metricsPort {
			t.Errorf("%s: GET %s on port %s, want %s on %s", pr.what, g.Path, g.Port.String(), pr.path, metricsPort)
		}
	}
}

// checkVolumes checks the mounts: the ConfigMap, the data directory, and
// secrets that linkwatch reads only as the init container's private
// copies (see "Secret files" in the chart's _helpers.tpl).
func checkVolumes(t *testing.T, p pod) {
	vols := map[string]corev1.Volume{}
	for _, v := range p.spec.Volumes {
		vols[v.Name] = v
	}
	for _, c := range slices.Concat(p.spec.InitContainers, p.spec.Containers) {
		for _, m := range c.VolumeMounts {
			if _, ok := vols[m.Name]; !ok {
				t.Errorf("container %s mounts %s, which is not a volume of the pod", c.Name, m.Name)
			}
		}
	}
	for _, v := range p.spec.Volumes {
		if s := v.Secret; s != nil && !strings.HasPrefix(v.Name, "ca-") && (s.DefaultMode == nil || *s.DefaultMode != 0o400) {
			t.Errorf("volume %s (Secret %s): defaultMode is not 0400", v.Name, s.SecretName)
		}
	}
	mounts := mountsOf(p.main, vols)
	for path, v := range mounts {
		if v.Secret != nil && !strings.HasPrefix(path, caDir+"/") {
			t.Errorf("%s mounts Secret %s at %s: linkwatch refuses its group-readable files; only the copies under %s", p.main.Name, v.Secret.SecretName, path, secretsDir)
		}
	}
	if v, ok := mounts[configDir]; !ok || v.ConfigMap == nil {
		t.Errorf("%s does not mount the ConfigMap at %s", p.main.Name, configDir)
	}
	if v, ok := mounts[dataDir]; !ok || v.EmptyDir == nil {
		t.Errorf("%s does not mount an emptyDir at %s", p.main.Name, dataDir)
	}
	if v, ok := mounts[secretsDir]; !ok || v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("%s does not mount the secret files' memory emptyDir at %s", p.main.Name, secretsDir)
	}
	for _, m := range p.main.VolumeMounts {
		if m.MountPath == secretsDir && !m.ReadOnly {
			t.Errorf("%s mounts %s writable", p.main.Name, secretsDir)
		}
	}
}

// mountsOf maps a container's mount paths to their volumes.
func mountsOf(c *corev1.Container, vols map[string]corev1.Volume) map[string]corev1.Volume {
	m := map[string]corev1.Volume{}
	for _, vm := range c.VolumeMounts {
		m[vm.MountPath] = vols[vm.Name]
	}
	return m
}
