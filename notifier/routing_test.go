package notifier_test

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/route"
)

// TestNotifierRoutesPerSite: one burst of alerts at dc1 and dc2 gives one
// email per route, each with its own alerts only: dc1's team gets dc1's,
// the core group's route (continue) gets core-9's and lets it go on to the
// default route, which gets the rest of dc2's.
func TestNotifierRoutesPerSite(t *testing.T) {
	r := newRigOf(t, rigOptions{groupWait: 2 * time.Second, routes: &route.Table{
		To: []string{"noc@example.net"},
		Routes: []route.Route{
			{Name: "dc1-team", Sites: []string{"dc1"}, To: []string{"dc1-noc@example.net"}},
			{Name: "core", Devices: []string{"core-*"}, To: []string{"core@example.net"}, Continue: true},
		},
	}})
	r.configure = func(cfg *notifier.Config) {
		cfg.Inventory = func() *notifier.Inventory {
			inv := rigInventory()
			for _, d := range []string{"r5", "core-9"} {
				inv.Sites[d], inv.Links[d] = "dc2", map[string]bool{"10.0.0.1": true}
			}
			return inv
		}
	}
	r.startNotifier(t)
	for _, d := range []struct{ site, device string }{{"dc1", "r1"}, {"dc1", "r2"}, {"dc2", "r5"}, {"dc2", "core-9"}} {
		r.publishAt(t, d.site, d.device, up)
		r.waitApplied(t, d.device)
	}
	for _, d := range []struct{ site, device string }{{"dc1", "r1"}, {"dc1", "r2"}, {"dc2", "r5"}, {"dc2", "core-9"}} {
		r.publishAt(t, d.site, d.device, down)
	}
	r.smtp.WaitFor(t, 3, 15*time.Second)
	waitOutboxEmpty(t, r.st)
	byTo := map[string]smtptest.Message{}
	for _, m := range r.smtp.Messages() {
		to := strings.Join(m.To, ",")
		if _, dup := byTo[to]; dup {
			t.Errorf("two emails to %s for one burst", to)
		}
		byTo[to] = m
	}
	for _, want := range []struct {
		to, route string
		devices   []string
	}{
		{"dc1-noc@example.net", "dc1-team", []string{"r1", "r2"}},
		{"core@example.net", "core", []string{"core-9"}},
		{"noc@example.net", "default", []string{"r5", "core-9"}},
	} {
		m, ok := byTo[want.to]
		if !ok {
			t.Errorf("no email to %s; got emails to %v", want.to, slices.Sorted(maps.Keys(byTo)))
			continue
		}
		if got := m.Header.Get("X-Linkwatch-Route"); got != want.route {
			t.Errorf("email to %s: route %q, want %q", want.to, got, want.route)
		}
		for _, d := range []string{"r1", "r2", "r5", "core-9"} {
			if in, wanted := strings.Contains(m.Text, "/ "+d+" /"), slices.Contains(want.devices, d); in != wanted {
				t.Errorf("email to %s lists %s: %v, want %v:\n%s", want.to, d, in, wanted, m.Text)
			}
		}
		if n := m.Header.Get("X-Linkwatch-Alerts"); n != strconv.Itoa(len(want.devices)) {
			t.Errorf("email to %s counts %s alerts, want %d", want.to, n, len(want.devices))
		}
	}
}
