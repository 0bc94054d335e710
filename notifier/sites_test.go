package notifier_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// clock is the notifiers' clock in the site tests, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// staleAfter is notify.stale_after in the site tests.
const staleAfter = 10 * time.Minute

// siteRig is a rig on st whose notifiers run on clk, find sites stale
// after staleAfter, check them every 10ms, and hold dc1's alerts back
// while silenced is set.
func siteRig(t *testing.T, st state.Store, clk *clock, silenced *atomic.Bool) *rig {
	r := newRigOn(t, 0, st, func(cfg *notifier.Config) {
		cfg.Now, cfg.SiteCheck = clk.Now, 10*time.Millisecond
		cfg.Inventory = func() *notifier.Inventory {
			inv := rigInventory()
			inv.StaleAfter = staleAfter
			return inv
		}
		cfg.Silenced = func(site, device, target string) bool {
			return silenced != nil && silenced.Load() && site == "dc1" && device == "" && target == ""
		}
	})
	clk.Set(r.clock)
	return r
}

// publishFrom publishes device's next result as probed by worker, with
// one status per target, and moves clk to its check time.
func (r *rig) publishFrom(t *testing.T, clk *clock, worker, device string, statuses ...proto.LinkStatus) {
	t.Helper()
	res := r.result(device, statuses...)
	res.Worker = worker
	clk.Set(r.clock)
	subject, _ := proto.ResultSubject("dc1", device)
	r.publishTo(t, subject, res)
	r.waitApplied(t, device)
}

// checkSites runs every notifier's site check now, twice, as their loops
// would, so a test need not wait for a tick to know none alerts again.
func (r *rig) checkSites(t *testing.T) {
	t.Helper()
	for range 2 {
		for _, n := range r.notifiers {
			if err := n.CheckSites(t.Context()); err != nil {
				t.Fatalf("CheckSites: %v", err)
			}
		}
	}
}

// siteEmails returns the emails whose subject has text.
func siteEmails(srv *smtptest.Server, text string) []smtptest.Message {
	var found []smtptest.Message
	for _, m := range srv.Messages() {
		if strings.Contains(m.Header.Get("Subject"), text) {
			found = append(found, m)
		}
	}
	return found
}

// waitSiteEmails waits until n emails have text in their subject.
func waitSiteEmails(t *testing.T, srv *smtptest.Server, text string, n int) []smtptest.Message {
	t.Helper()
	var found []smtptest.Message
	waittest.For(t, 10*time.Second, func() error {
		if found = siteEmails(srv, text); len(found) < n {
			return fmt.Errorf("%d emails with %q in the subject, want %d", len(found), text, n)
		}
		return nil
	})
	return found
}

// status asks the rig's notifiers for the status of device.
func (r *rig) status(t *testing.T, device string) api.DeviceStatus {
	t.Helper()
	var rep api.StatusReply
	waittest.For(t, 10*time.Second, func() (err error) {
		rep, err = api.QueryStatus(context.Background(), r.nc, api.StatusRequest{})
		return err
	})
	for _, d := range rep.Devices {
		if d.Name == device {
			return d
		}
	}
	t.Fatalf("status has no %s: %+v", device, rep.Devices)
	return api.DeviceStatus{}
}

// blindAndBack runs the blind-site scenario on r: dc1's results stop
// (its last from worker w1), it is found blind once by however many
// notifiers run, its links read STALE, then a result from w2 ends it, once.
func blindAndBack(t *testing.T, r *rig, clk *clock) {
	// All UP: a first UP is not emailed, so every email is about the site.
	for _, d := range []string{"r1", "r2", "r3", "r4"} {
		r.publishFrom(t, clk, "w1", d, up, up)
	}
	r.checkSites(t)
	if d := r.status(t, "r4"); d.Stale {
		t.Fatalf("r4 stale right after its result: %+v", d)
	}
	clk.Set(r.clock.Add(staleAfter + 2*time.Minute))
	msgs := waitSiteEmails(t, r.smtp, "site dc1: no results for 12m (last from worker w1)", 1)
	r.checkSites(t)
	waitOutboxEmpty(t, r.st)
	if n := len(siteEmails(r.smtp, "no results")); n != 1 {
		t.Errorf("%d blind-site emails from %d notifiers, want 1", n, len(r.notifiers))
	}
	if !strings.Contains(msgs[0].Text, "dc1: no results for 12m (last from worker w1)") {
		t.Errorf("blind-site email:\n%s", msgs[0].Text)
	}
	for _, name := range []string{"r1", "r4"} {
		if d := r.status(t, name); !d.Stale || d.Links["10.0.0.1"].State != "UP" {
			t.Errorf("status of %s = %+v, want stale, its links' last states kept", name, d)
		}
	}

	r.clock = r.clock.Add(staleAfter + 2*time.Minute)
	r.publishFrom(t, clk, "w2", "r2", up, up)
	r.checkSites(t)
	back := waitSiteEmails(t, r.smtp, "site dc1: results again (from worker w2)", 1)
	r.checkSites(t)
	waitOutboxEmpty(t, r.st)
	if n := len(siteEmails(r.smtp, "site dc1")); n != 2 {
		t.Errorf("%d site emails, want the blind one and one recovery", n)
	}
	if !strings.Contains(back[0].Header.Get("Subject"), "after 13m without") {
		t.Errorf("recovery subject %q, want how long the site was blind", back[0].Header.Get("Subject"))
	}
	if d := r.status(t, "r2"); d.Stale {
		t.Errorf("r2 stale after its new result: %+v", d)
	}
}

func TestBlindSiteAlertsOnceAndRecovers(t *testing.T) {
	clk := &clock{}
	r := siteRig(t, embeddedStore(t), clk, nil)
	r.startNotifier(t)
	blindAndBack(t, r, clk)
}

// TestBlindSiteTwoNotifiersOnRedis runs two notifiers, each with its own
// connection to one Redis, as two processes would: one email each way.
func TestBlindSiteTwoNotifiersOnRedis(t *testing.T) {
	url := redistest.Start(t)
	open := func() state.Store {
		s, err := store.OpenRedis(t.Context(), url, "blind:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	clk := &clock{}
	r := siteRig(t, open(), clk, nil)
	r.startNotifier(t)
	r.startNotifierOn(t, open())
	blindAndBack(t, r, clk)
}

// TestBlindSiteNotifierRestart checks that a notifier that starts long
// after a site's last result does not find it blind at once: it counts
// from its own start.
func TestBlindSiteNotifierRestart(t *testing.T) {
	clk := &clock{}
	st := embeddedStore(t)
	r := siteRig(t, st, clk, nil)
	stop := r.startNotifier(t)
	for _, d := range []string{"r1", "r2", "r3", "r4"} {
		r.publishFrom(t, clk, "w1", d, up, up)
	}
	stop()
	clk.Set(r.clock.Add(time.Hour))
	r.notifiers = nil
	r.startNotifier(t)
	r.checkSites(t)
	if d := r.status(t, "r1"); d.Stale {
		t.Errorf("status of r1 right after a restart: %+v, want not stale yet", d)
	}
	clk.Set(r.clock.Add(time.Hour + staleAfter + time.Second))
	waitSiteEmails(t, r.smtp, "site dc1: no results for 1h10m1s (last from worker w1)", 1)
}

// TestBlindSiteSilenced checks that a silenced site is marked without an
// email, and that its alert goes once the silence ends while it is still
// blind.
func TestBlindSiteSilenced(t *testing.T) {
	clk := &clock{}
	var silenced atomic.Bool
	silenced.Store(true)
	r := siteRig(t, embeddedStore(t), clk, &silenced)
	r.startNotifier(t)
	r.publishFrom(t, clk, "w1", "r1", up, up)
	clk.Set(r.clock.Add(staleAfter + time.Minute))
	r.checkSites(t)
	if d := r.status(t, "r1"); !d.Stale {
		t.Errorf("status of r1 in a silenced blind site = %+v, want stale", d)
	}
	waitSite(t, r.st, func(s state.Site) bool { return s.Blind && !s.Notified })
	waitOutboxEmpty(t, r.st)
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails about a silenced site, want none", n)
	}
	silenced.Store(false)
	waitSiteEmails(t, r.smtp, "site dc1: no results", 1)
}

func waitSite(t *testing.T, st state.Store, ok func(state.Site) bool) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		sites, err := st.Sites(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(sites) != 1 || !ok(sites[0]) {
			return fmt.Errorf("sites %+v", sites)
		}
		return nil
	})
}

// TestNeverReachedDeviceInStatusAndHistory checks that a device that never
// answered is in status with its failure, and that the history of every
// device lists its changes newest first.
func TestNeverReachedDeviceInStatusAndHistory(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up, up)
	r.waitApplied(t, "r1")
	res := r.result("r3")
	res.Failure, res.FailureText = proto.FailureKind_FAILURE_KIND_AUTH_FAILED, "permission denied (password)"
	subject, _ := proto.ResultSubject("dc1", "r3")
	r.publishTo(t, subject, res)
	r.waitApplied(t, "r3")
	r.publish(t, "r2", down, up)
	r.waitApplied(t, "r2")
	d := r.status(t, "r3")
	if d.Failure != "AUTH_FAILED" || d.FailureText != "permission denied (password)" || len(d.Links) != 0 || d.NotProbed {
		t.Errorf("status of r3 = %+v, want its failure and no link", d)
	}
	if d := r.status(t, "r4"); !d.NotProbed {
		t.Errorf("status of r4 = %+v, want not probed yet", d)
	}
	h, err := api.QueryHistory(context.Background(), r.nc, api.HistoryRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range h.Changes {
		if c.Target != "" { // r3's reachability is checked below
			got = append(got, c.Device+" "+c.To)
		}
	}
	// Changes of one result share a time: their order is the store's.
	if want := "r2 UP|r2 DOWN|r1 UP|r1 UP"; strings.Join(got, "|") != want &&
		strings.Join(got, "|") != "r2 DOWN|r2 UP|r1 UP|r1 UP" {
		t.Errorf("fleet history = %v, want r2's two changes, then r1's", got)
	}
	var reach []state.Change
	for _, c := range h.Changes {
		if c.Device == "r3" {
			reach = append(reach, c)
		}
	}
	if len(reach) != 1 || reach[0].Target != "" || reach[0].To != state.Unreachable || reach[0].Failure != "AUTH_FAILED" {
		t.Errorf("fleet history of r3 = %+v, want its reachability: UNREACHABLE, AUTH_FAILED", reach)
	}
	h, err = api.QueryHistory(context.Background(), r.nc, api.HistoryRequest{Limit: 2})
	if err != nil || len(h.Changes) != 2 || h.Changes[0].Device != "r2" {
		t.Errorf("fleet history, limit 2 = %+v, %v; want r2's two changes", h.Changes, err)
	}
}

func embeddedStore(t *testing.T) state.Store {
	t.Helper()
	st, err := store.OpenEmbedded(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
