package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// newRedisRig is a rig whose notifiers keep state in a real Redis
// server, with one notifier started.
func newRedisRig(t *testing.T, groupWait time.Duration) *rig {
	st, err := store.OpenRedis(context.Background(), redistest.Start(t), redistest.Prefix(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Silences read again every 200ms: each notifier sees a silence end
	// (and reconciles) well within the tests' waits.
	r := newRigOn(t, groupWait, st, func(c *notifier.Config) { c.SilenceRefresh = 200 * time.Millisecond })
	r.startNotifier(t)
	return r
}

// waitAPI waits until a notifier answers the silence API.
func waitAPI(t *testing.T, nc *nats.Conn) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		_, err := api.ListSilences(context.Background(), nc)
		return err
	})
}

// emailsAbout returns the emails that mention device.
func emailsAbout(r *rig, device string) []string {
	var texts []string
	for _, m := range r.smtp.Messages() {
		if strings.Contains(m.Text, device) {
			texts = append(texts, m.Text)
		}
	}
	return texts
}

func addSilence(t *testing.T, nc *nats.Conn, req api.SilenceAddRequest) state.Silence {
	t.Helper()
	if req.Comment == "" {
		req.Comment, req.CreatedBy = "maintenance", "ana@noc1"
	}
	rep, err := api.AddSilence(context.Background(), nc, req)
	if err != nil {
		t.Fatalf("add silence %+v: %v", req, err)
	}
	return rep.Silence
}

// TestSilencedDeviceThenExpired: while r1 is silenced its link changes go
// to the history and not to email; r2's still do. When the silence is
// expired, with two notifiers reconciling at once on one Redis, exactly
// one email reports r1's link that is DOWN now (it was UP when last
// emailed), and none its link that went DOWN and came back UP.
func TestSilencedDeviceThenExpired(t *testing.T) {
	r := newRedisRig(t, 0)
	for _, d := range []string{"r1", "r2"} {
		r.publish(t, d, up, up)
		r.waitApplied(t, d)
	}
	waitAPI(t, r.nc)
	sil := addSilence(t, r.nc, api.SilenceAddRequest{Device: "r1", For: time.Hour})
	// The second notifier reads the silence at start (a running one would
	// within its SilenceRefresh).
	r.startNotifier(t)
	r.publish(t, "r1", down, down)
	r.waitApplied(t, "r1")
	r.publish(t, "r1", down, up)
	r.waitApplied(t, "r1")
	r.publish(t, "r2", down, up) // not silenced: emailed, and a mark that mail flows
	r.smtp.WaitFor(t, 1, 10*time.Second)
	waitOutboxEmpty(t, r.st)
	if got := emailsAbout(r, "r1"); len(got) != 0 {
		t.Fatalf("silenced r1 emailed:\n%s", strings.Join(got, "\n---\n"))
	}
	hist, err := r.st.History(context.Background(), "r1", "", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 5 { // two first UPs, two DOWNs, one back UP
		t.Errorf("history of silenced r1 has %d changes, want 5: %+v", len(hist), hist)
	}

	if _, err := api.ExpireSilence(context.Background(), r.nc, api.SilenceExpireRequest{ID: sil.ID, By: "bob@noc2"}); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 15*time.Second, func() error {
		if got := emailsAbout(r, "r1"); len(got) != 1 {
			return fmt.Errorf("%d emails about r1 after its silence ended, want 1", len(got))
		}
		return nil
	})
	waitOutboxEmpty(t, r.st)
	time.Sleep(time.Second) // both notifiers reconciled (200ms refresh): a second email would show now
	got := emailsAbout(r, "r1")
	if len(got) != 1 || !strings.Contains(got[0], "10.0.0.1") || strings.Contains(got[0], "10.0.0.2") ||
		!strings.Contains(got[0], "UP → DOWN") {
		t.Errorf("emails about r1 after the silence, want one of 10.0.0.1 UP → DOWN only:\n%s", strings.Join(got, "\n---\n"))
	}
	list, err := api.ListSilences(context.Background(), r.nc)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Silences) != 1 || list.Silences[0].ExpiredBy != "bob@noc2" || list.Silences[0].Active(list.Now) {
		t.Errorf("silence list after expiry = %+v, want the one, ended by bob@noc2", list.Silences)
	}
}

// TestMaintenanceWindowEnds: a weekly window of site dc1 that is in force
// now and ends in a few seconds holds r1's change back; when it ends, the
// change is emailed once.
func TestMaintenanceWindowEnds(t *testing.T) {
	now := time.Now().UTC()
	start := now.Add(-time.Minute).Truncate(time.Minute)
	midnight := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	w := state.Window{Name: "now", Sites: []string{"dc1"}, Days: []time.Weekday{start.Weekday()},
		Start: start.Sub(midnight), Duration: now.Add(4 * time.Second).Sub(start), Location: time.UTC}
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := newRigOn(t, 0, st, func(c *notifier.Config) {
		c.Maintenance = func() []state.Window { return []state.Window{w} }
	})
	r.startNotifier(t)
	r.publish(t, "r1", up, up)
	r.waitApplied(t, "r1")
	r.publish(t, "r1", down, up)
	r.waitApplied(t, "r1")
	if time.Now().After(now.Add(3 * time.Second)) {
		t.Skip("the machine is too slow to commit within the window; nothing to assert")
	}
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails during the maintenance window", n)
	}
	msgs := r.smtp.WaitFor(t, 1, 20*time.Second)
	if !strings.Contains(msgs[0].Text, "UP → DOWN") {
		t.Errorf("email after the window:\n%s", msgs[0].Text)
	}
	waitOutboxEmpty(t, r.st)
	if n := len(r.smtp.Messages()); n != 1 {
		t.Errorf("%d emails after the window, want 1", n)
	}
}

// TestSilenceRequestsRefused sends what an operator (or anyone on the
// CLI's account) might: each is refused with a reason, nothing stored.
func TestSilenceRequestsRefused(t *testing.T) {
	r := newRig(t, 0)
	waitAPI(t, r.nc)
	until := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		req  api.SilenceAddRequest
		want string
	}{
		{"no device or site", api.SilenceAddRequest{For: time.Hour}, "give a device or a site"},
		{"not in inventory", api.SilenceAddRequest{Device: "r9", For: time.Hour}, `device "r9" is not in the inventory`},
		{"site without devices", api.SilenceAddRequest{Site: "dc9", For: time.Hour}, `site "dc9" has no device`},
		{"device elsewhere", api.SilenceAddRequest{Device: "r1", Site: "dc2", For: time.Hour}, `is at site "dc1", not "dc2"`},
		{"unknown target", api.SilenceAddRequest{Device: "r1", Target: "10.9.9.9", For: time.Hour}, `has no target "10.9.9.9"`},
		{"bad name", api.SilenceAddRequest{Device: "r1.>", For: time.Hour}, "is not a valid name"},
		{"bad target", api.SilenceAddRequest{Device: "r1", Target: "10.0.0.1 ; reload", For: time.Hour}, "is not an IP address"},
		{"huge comment", api.SilenceAddRequest{Device: "r1", For: time.Hour, Comment: strings.Repeat("x", 100000)}, "comment: is 100000 bytes long"},
		{"negative duration", api.SilenceAddRequest{Device: "r1", For: -time.Hour}, "is negative"},
		{"huge duration", api.SilenceAddRequest{Device: "r1", For: 1 << 62}, "at most 720h"},
		{"both ends", api.SilenceAddRequest{Device: "r1", For: time.Hour, Until: until}, "not both"},
		{"no end", api.SilenceAddRequest{Device: "r1"}, "give a duration or an end time"},
		{"in the past", api.SilenceAddRequest{Device: "r1", Until: until.Add(-2 * time.Hour)}, "in the past"},
	}
	for _, tc := range tests {
		if tc.req.Comment == "" {
			tc.req.Comment = "why"
		}
		tc.req.CreatedBy = "ana@noc1"
		_, err := api.AddSilence(context.Background(), r.nc, tc.req)
		if err == nil || !strings.Contains(err.Error(), "silence.add refused by the notifier: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want a refusal saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := api.ExpireSilence(context.Background(), r.nc, api.SilenceExpireRequest{ID: "0123456789ab"}); err == nil ||
		!strings.Contains(err.Error(), "no silence 0123456789ab") {
		t.Errorf("expire of an unknown id: %v", err)
	}
	if _, err := api.ExpireSilence(context.Background(), r.nc, api.SilenceExpireRequest{ID: "window:sunday"}); err == nil ||
		!strings.Contains(err.Error(), "maintenance window sunday of the configuration") {
		t.Errorf("expire of a window: %v", err)
	}
	// A request whose reply subject is a system subject is not answered,
	// nor carried out.
	data := []byte(`{"device":"r1","for":3600000000000,"comment":"x","created_by":"y"}`)
	if err := r.nc.PublishRequest("linkwatch.api.silence.add", "$JS.API.STREAM.DELETE.linkwatch_results", data); err != nil {
		t.Fatal(err)
	}
	// Then one with a field the API does not know, on the same endpoint
	// (answered in order, so after the first was dropped).
	msg, err := r.nc.Request("linkwatch.api.silence.add", []byte(`{"device":"r1","for":3600000000000,"comment":"x","start":"2020-01-01T00:00:00Z"}`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if code := msg.Header.Get("Nats-Service-Error-Code"); code != "400" {
		t.Errorf("request with an unknown field: code %q, want 400", code)
	}
	list, err := api.ListSilences(context.Background(), r.nc)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Silences) != 0 {
		t.Errorf("silences after refused requests: %+v", list.Silences)
	}
}

// TestReconcileTwiceAtOnceReportsOnce: two commits of state.Reconcile for
// one device at once on one Redis (two notifiers seeing a silence end)
// queue one alert.
func TestReconcileTwiceAtOnceReportsOnce(t *testing.T) {
	r := newRedisRig(t, time.Hour) // group_wait 1h: alerts stay in the outbox
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	silenced := func(string, string, string) bool { return true }
	err := r.st.Commit(context.Background(), "r1", func(prev state.Device) (state.Update, error) {
		return state.Decide(prev, r.result("r1", down), state.Rules{Confirm: 1, Silenced: silenced}, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			errs <- r.st.Commit(context.Background(), "r1", func(prev state.Device) (state.Update, error) {
				return state.Reconcile(prev, state.Rules{Confirm: 1}, time.Now())
			})
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	out, err := r.st.Outbox(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Change == nil || out[0].Change.To != "DOWN" {
		t.Errorf("outbox after two reconciles at once = %+v, want one alert of the link now DOWN", out)
	}
}

// TestSilenceEndedWhileDown: a silence that ended while no notifier ran
// is reconciled when one starts.
func TestSilenceEndedWhileDown(t *testing.T) {
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := newRigOn(t, 0, st, nil)
	stop := r.startNotifier(t)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	waitAPI(t, r.nc)
	sil := addSilence(t, r.nc, api.SilenceAddRequest{Device: "r1", For: time.Hour})
	r.publish(t, "r1", down)
	r.waitApplied(t, "r1")
	stop()
	if _, err := r.st.ExpireSilence(context.Background(), sil.ID, time.Now(), "test"); err != nil {
		t.Fatal(err)
	}
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails while r1 was silenced", n)
	}
	r.startNotifier(t)
	// Up to the mailer lease's 15s TTL, should the stopped notifier not
	// have released it.
	msgs := r.smtp.WaitFor(t, 1, 30*time.Second)
	if !strings.Contains(msgs[0].Text, "UP → DOWN") {
		t.Errorf("email at start after a silence ended:\n%s", msgs[0].Text)
	}
}

// TestSilencedSiteReachability: a silence of the site holds back a
// device becoming unreachable; when it is expired, the device, still
// unreachable, is reported once.
func TestSilencedSiteReachability(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r3", up)
	r.waitApplied(t, "r3")
	waitAPI(t, r.nc)
	sil := addSilence(t, r.nc, api.SilenceAddRequest{Site: "dc1", For: time.Hour})
	subject, _ := proto.ResultSubject("dc1", "r3")
	res := r.result("r3")
	res.Failure, res.FailureText = proto.FailureKind_FAILURE_KIND_TIMEOUT, "no answer within 10s"
	r.publishTo(t, subject, res)
	r.waitApplied(t, "r3")
	r.publish(t, "r4", up) // r4's first UP is not emailed; its commit orders after r3's
	r.waitApplied(t, "r4")
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails while the site is silenced", n)
	}
	if _, err := api.ExpireSilence(context.Background(), r.nc, api.SilenceExpireRequest{ID: sil.ID, By: "bob@noc2"}); err != nil {
		t.Fatal(err)
	}
	msgs := r.smtp.WaitFor(t, 1, 15*time.Second)
	if !strings.Contains(msgs[0].Text, "r3") || !strings.Contains(msgs[0].Text, "TIMEOUT") {
		t.Errorf("email after the site's silence:\n%s", msgs[0].Text)
	}
	waitOutboxEmpty(t, r.st)
	if n := len(r.smtp.Messages()); n != 1 {
		t.Errorf("%d emails after the silence, want 1", n)
	}
}

// silencesFail is a store whose Silences fails a number of times, as
// when Redis is not reachable yet at a notifier's start.
type silencesFail struct {
	state.Store
	left atomic.Int32
}

func (s *silencesFail) Silences(ctx context.Context, since time.Time) ([]state.Silence, error) {
	if s.left.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	return s.Store.Silences(ctx, since)
}

// TestNoCommitWithoutSilences: a notifier that could not read the
// silences at start commits no result until it has (an empty cache would
// email a silenced device); the results wait and are then applied,
// silenced.
func TestNoCommitWithoutSilences(t *testing.T) {
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	sil := state.Silence{ID: "0123456789ab", Device: "r1", Start: now, End: now.Add(time.Hour), Comment: "x",
		CreatedBy: "test", Created: now}
	if err := st.AddSilence(context.Background(), sil, state.MaxSilences); err != nil {
		t.Fatal(err)
	}
	r := newRigOn(t, 0, st, func(c *notifier.Config) { c.SilenceRefresh = time.Hour })
	flaky := &silencesFail{Store: st}
	flaky.left.Store(3)
	r.startNotifierOn(t, flaky)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	r.publish(t, "r1", down)
	r.waitApplied(t, "r1")
	r.publish(t, "r2", up)
	r.waitApplied(t, "r2")
	if n := len(r.smtp.Messages()); n != 0 {
		t.Errorf("%d emails for a device silenced in a store first unreadable", n)
	}
	if flaky.left.Load() >= 0 {
		t.Errorf("the silences were not asked for again after failing (%d failures left)", flaky.left.Load())
	}
}
