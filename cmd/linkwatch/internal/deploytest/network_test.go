package deploytest_test

import (
	"maps"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// checkPolicies checks the NetworkPolicies: none when the case's sites
// have no CIDRs, else one per Deployment, letting in only the metrics
// port, and letting a site's workers out to that site's device networks
// and no other pod to them.
func checkPolicies(t *testing.T, objs *objects, pods []pod, tc renderCase) {
	enabled := slices.ContainsFunc(slices.Collect(maps.Values(tc.sites)), func(s site) bool { return s.cidrs != nil })
	if !enabled {
		if len(objs.policies) > 0 {
			t.Errorf("%d NetworkPolicies, want none", len(objs.policies))
		}
		return
	}
	for _, p := range pods {
		var mine []*networkingv1.NetworkPolicy
		for _, np := range objs.policies {
			if slices.Contains(selects(t, np.Name, &np.Spec.PodSelector, pods), p.name) {
				mine = append(mine, np)
			}
		}
		if len(mine) != 1 {
			t.Errorf("%s: selected by %d NetworkPolicies, want 1", p.name, len(mine))
			continue
		}
		checkPolicy(t, p, mine[0], tc)
	}
}

func checkPolicy(t *testing.T, p pod, np *networkingv1.NetworkPolicy, tc renderCase) {
	types := np.Spec.PolicyTypes
	if !slices.Contains(types, networkingv1.PolicyTypeIngress) || !slices.Contains(types, networkingv1.PolicyTypeEgress) {
		t.Errorf("NetworkPolicy %s: policyTypes %v, want Ingress and Egress", np.Name, types)
	}
	for _, r := range np.Spec.Ingress {
		if len(r.From) == 0 || len(r.Ports) != 1 || r.Ports[0].Port == nil || r.Ports[0].Port.String() != metricsPort {
			t.Errorf("NetworkPolicy %s: ingress %v, want the %s port from chosen namespaces only", np.Name, r, metricsPort)
		}
	}
	var cidrs []string
	for _, r := range np.Spec.Egress {
		for _, peer := range r.To {
			if peer.IPBlock != nil {
				cidrs = append(cidrs, peer.IPBlock.CIDR)
			}
		}
	}
	for s, w := range tc.sites {
		for _, c := range w.cidrs {
			if s != p.site && slices.Contains(cidrs, c) {
				t.Errorf("NetworkPolicy %s lets %s out to site %s's devices (%s)", np.Name, p.name, s, c)
			}
		}
	}
	if p.component == "worker" && !slices.Equal(cidrs, tc.sites[p.site].cidrs) {
		t.Errorf("NetworkPolicy %s: %s may reach %v, want the site's device networks %v", np.Name, p.name, cidrs, tc.sites[p.site].cidrs)
	}
}

// checkMonitoring checks the ServiceMonitor and its Service, when the case
// asks for them: every pod scraped on its metrics port.
func checkMonitoring(t *testing.T, objs *objects, pods []pod, want bool) {
	if !want {
		if len(objs.serviceMonitors)+len(objs.services) > 0 {
			t.Errorf("%d ServiceMonitors and %d Services, want none", len(objs.serviceMonitors), len(objs.services))
		}
		return
	}
	if len(objs.serviceMonitors) != 1 || len(objs.services) != 1 {
		t.Fatalf("%d ServiceMonitors and %d Services, want one of each", len(objs.serviceMonitors), len(objs.services))
	}
	svc, sm := objs.services[0], objs.serviceMonitors[0]
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	for _, p := range pods {
		if !sel.Matches(labels.Set(p.dep.Spec.Template.Labels)) {
			t.Errorf("Service %s does not select %s", svc.Name, p.name)
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != metricsPort || svc.Spec.Ports[0].TargetPort.String() != metricsPort {
		t.Errorf("Service %s: ports %v, want %s to the pods' %s port", svc.Name, svc.Spec.Ports, metricsPort, metricsPort)
	}
	smSel := labels.SelectorFromSet(sm.Spec.Selector.MatchLabels)
	if len(sm.Spec.Selector.MatchLabels) == 0 || !smSel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor %s: selector %v does not select Service %s", sm.Name, sm.Spec.Selector, svc.Name)
	}
	if got := sm.Spec.NamespaceSelector.MatchNames; !slices.Equal(got, []string{namespace}) {
		t.Errorf("ServiceMonitor %s: namespaces %v, want [%s]", sm.Name, got, namespace)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != metricsPort || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor %s: endpoints %v, want /metrics on port %s", sm.Name, sm.Spec.Endpoints, metricsPort)
	}
}
