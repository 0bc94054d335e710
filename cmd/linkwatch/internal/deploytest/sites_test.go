package deploytest_test

import (
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

// checkWorkers checks each site's worker Deployment: its replicas, its
// --site, its nodes, its spread, and that it holds its own site's Secrets
// and no other site's.
func checkWorkers(t *testing.T, pods []pod, tc renderCase) {
	for _, p := range pods {
		if p.component != "worker" {
			for s, w := range tc.sites {
				if names := secretNames(p); names[w.credentials] || names[w.nats] {
					t.Errorf("%s holds a Secret of site %s's workers", p.name, s)
				}
			}
			continue
		}
		t.Run("site "+p.site, func(t *testing.T) { checkWorker(t, p, tc) })
	}
}

func checkWorker(t *testing.T, p pod, tc renderCase) {
	want := tc.sites[p.site]
	if r := p.dep.Spec.Replicas; r == nil || *r != want.replicas {
		t.Errorf("replicas %v, want %d", r, want.replicas)
	}
	if got := flagValues(p.main.Args, "--site"); !slices.Equal(got, []string{p.site}) {
		t.Errorf("args %q: --site %q, want exactly %q", p.main.Args, got, p.site)
	}
	if got := p.spec.NodeSelector[siteLabel]; got != p.site {
		t.Errorf("nodeSelector %s=%q, want %q", siteLabel, got, p.site)
	}
	checkNodeAffinity(t, p)
	checkSpread(t, p)
	dirs := secretDirs(p)
	if wantDirs := map[string]string{"nats": want.nats, "devices": want.credentials}; !maps.Equal(dirs, wantDirs) {
		t.Errorf("secrets %v, want only the site's own: %v", dirs, wantDirs)
	}
	names := secretNames(p)
	for s, other := range tc.sites {
		if s != p.site && (names[other.credentials] || names[other.nats]) {
			t.Errorf("holds a Secret of site %s (%v)", s, slices.Sorted(maps.Keys(names)))
		}
	}
}

// checkNodeAffinity checks that required node affinity, if any, keeps the
// pod at its site too.
func checkNodeAffinity(t *testing.T, p pod) {
	a := p.spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return
	}
	for i, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		if !slices.ContainsFunc(term.MatchExpressions, func(r corev1.NodeSelectorRequirement) bool {
			return r.Key == siteLabel && r.Operator == corev1.NodeSelectorOpIn && slices.Equal(r.Values, []string{p.site})
		}) {
			t.Errorf("node affinity term %d lets the pod leave site %s", i, p.site)
		}
	}
}

// checkSpread checks that the pods spread across nodes and zones, counting
// the pods of their own Deployment.
func checkSpread(t *testing.T, p pod) {
	var keys []string
	for _, c := range p.spec.TopologySpreadConstraints {
		keys = append(keys, c.TopologyKey)
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil || !sel.Matches(labels.Set(p.dep.Spec.Template.Labels)) || c.LabelSelector.MatchLabels[siteLabel] != p.site {
			t.Errorf("spread over %s counts other pods than site %s's workers: %v (%v)", c.TopologyKey, p.site, c.LabelSelector, err)
		}
	}
	for _, k := range []string{corev1.LabelHostname, corev1.LabelTopologyZone} {
		if !slices.Contains(keys, k) {
			t.Errorf("no topology spread over %s (%v)", k, keys)
		}
	}
}

// secretDirs maps the directories under secretsDir that the init
// container fills to the Secret each is copied from.
func secretDirs(p pod) map[string]string {
	dirs := map[string]string{}
	vols := volumesOf(p)
	for _, c := range p.spec.InitContainers {
		for _, m := range c.VolumeMounts {
			dir, ok := strings.CutPrefix(m.MountPath, secretVolumes+"/")
			if v := vols[m.Name]; ok && v.Secret != nil {
				dirs[dir] = v.Secret.SecretName
			}
		}
	}
	return dirs
}

// secretNames is every Secret a pod's volumes name.
func secretNames(p pod) map[string]bool {
	names := map[string]bool{}
	for _, v := range p.spec.Volumes {
		if v.Secret != nil {
			names[v.Secret.SecretName] = true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil {
					names[s.Secret.Name] = true
				}
			}
		}
	}
	return names
}

func volumesOf(p pod) map[string]corev1.Volume {
	vols := map[string]corev1.Volume{}
	for _, v := range p.spec.Volumes {
		vols[v.Name] = v
	}
	return vols
}

// secretFiles maps each file a pod's linkwatch finds under secretsDir or
// caDir to the Secret it comes from; a path ending in "/" stands for every
// key of that Secret.
func secretFiles(p pod) map[string]string {
	files := map[string]string{}
	add := func(dir string, s *corev1.SecretVolumeSource) {
		if len(s.Items) == 0 {
			files[dir+"/"] = s.SecretName
		}
		for _, it := range s.Items {
			files[path.Join(dir, it.Path)] = s.SecretName
		}
	}
	vols := volumesOf(p)
	for _, c := range p.spec.InitContainers {
		for _, m := range c.VolumeMounts {
			if dir, ok := strings.CutPrefix(m.MountPath, secretVolumes+"/"); ok && vols[m.Name].Secret != nil {
				add(path.Join(secretsDir, dir), vols[m.Name].Secret)
			}
		}
	}
	for at, v := range mountsOf(p.main, vols) {
		if v.Secret != nil && strings.HasPrefix(at, caDir+"/") {
			add(at, v.Secret)
		}
	}
	return files
}

// checkFiles checks that every file the configuration names for a role
// (its nkey, passwords, CAs; a worker's device passwords) is in the pods
// of that role.
func checkFiles(t *testing.T, cfg *config.Config, pods []pod) {
	for _, p := range pods {
		files := secretFiles(p)
		for what, file := range filesFor(cfg, p) {
			if file == "" {
				continue
			}
			_, exact := files[file]
			_, inDir := files[path.Dir(file)+"/"]
			if !exact && !inDir {
				t.Errorf("%s: linkwatch.yaml's %s is %s, which the pod does not have (it has %v)",
					p.name, what, file, slices.Sorted(maps.Keys(files)))
			}
		}
	}
}

// filesFor is the secret and CA files a pod of p's role reads, by the key
// naming each.
func filesFor(cfg *config.Config, p pod) map[string]string {
	files := map[string]string{"nats.nkey_seed_file": cfg.NATS.NkeySeedFile, "nats.ca_file": cfg.NATS.CAFile}
	switch p.component {
	case "notifier":
		files["state.password_file"] = cfg.State.PasswordFile
		files["state.ca_file"] = cfg.State.CAFile
		if s := cfg.Notify.SMTP; s != nil {
			files["notify.smtp.password_file"] = s.PasswordFile
			files["notify.smtp.ca_file"] = s.CAFile
		}
	case "worker":
		for _, d := range cfg.DevicesAt(p.site) {
			c := cfg.Credentials[d.Credentials]
			files["credentials."+d.Credentials+".password_file"] = c.PasswordFile
			files["credentials."+d.Credentials+".enable_password_file"] = c.EnablePasswordFile
		}
	}
	return files
}

func checkServiceAccount(t *testing.T, objs *objects, pods []pod) {
	if len(objs.serviceAccounts) != 1 {
		t.Fatalf("%d ServiceAccounts, want 1", len(objs.serviceAccounts))
	}
	sa := objs.serviceAccounts[0]
	if a := sa.AutomountServiceAccountToken; a == nil || *a {
		t.Errorf("ServiceAccount %s: automountServiceAccountToken is not false", sa.Name)
	}
	for _, p := range pods {
		if p.spec.ServiceAccountName != sa.Name {
			t.Errorf("%s runs as ServiceAccount %q, want %q", p.name, p.spec.ServiceAccountName, sa.Name)
		}
	}
}

// selects returns the pods a label selector selects.
func selects(t *testing.T, what string, ls *metav1.LabelSelector, pods []pod) []string {
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Errorf("%s: selector: %v", what, err)
		return nil
	}
	var names []string
	for _, p := range pods {
		if sel.Matches(labels.Set(p.dep.Spec.Template.Labels)) {
			names = append(names, p.name)
		}
	}
	return names
}

// checkBudgets checks that each Deployment of more than one replica, and
// no other, has a PodDisruptionBudget of its own.
func checkBudgets(t *testing.T, objs *objects, pods []pod) {
	budgets := map[string]int{}
	for _, b := range objs.budgets {
		sel := selects(t, b.Name, b.Spec.Selector, pods)
		if len(sel) != 1 {
			t.Errorf("PodDisruptionBudget %s selects %v, want one Deployment's pods", b.Name, sel)
		}
		for _, name := range sel {
			budgets[name]++
		}
	}
	for _, p := range pods {
		want := 0
		if *p.dep.Spec.Replicas > 1 {
			want = 1
		}
		if budgets[p.name] != want {
			t.Errorf("%s (%d replicas): %d PodDisruptionBudgets, want %d", p.name, *p.dep.Spec.Replicas, budgets[p.name], want)
		}
	}
}
