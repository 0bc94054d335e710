package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// also adds configure to what r's notifiers are configured with.
func (r *rig) also(configure func(*notifier.Config)) {
	before := r.configure
	r.configure = func(cfg *notifier.Config) {
		if before != nil {
			before(cfg)
		}
		configure(cfg)
	}
}

// TestSiteAddedByReload checks that a site a reload adds is counted from
// then: not blind, nor its devices stale, until stale_after has passed.
func TestSiteAddedByReload(t *testing.T) {
	clk := &clock{}
	var inv atomic.Pointer[notifier.Inventory]
	first := rigInventory()
	first.StaleAfter = staleAfter
	inv.Store(first)
	r := siteRig(t, embeddedStore(t), clk, nil)
	r.also(func(cfg *notifier.Config) { cfg.Inventory = inv.Load })
	r.startNotifier(t)
	r.checkSites(t)
	added := clk.Now().Add(time.Hour)
	clk.Set(added)
	next := rigInventory()
	next.StaleAfter = staleAfter
	next.Sites["r9"], next.Links["r9"] = "dc2", map[string]bool{"10.0.0.1": true}
	inv.Store(next)
	r.checkSites(t)
	if d := r.status(t, "r9"); d.Stale || !d.NotProbed {
		t.Errorf("status of r9 right after its site was added: %+v, want not probed, not stale", d)
	}
	clk.Set(added.Add(staleAfter))
	r.checkSites(t)
	waitOutboxEmpty(t, r.st)
	for _, m := range r.smtp.Messages() {
		if strings.Contains(m.Text, "dc2") {
			t.Fatalf("email about dc2 within stale_after of its addition:\n%s", m.Text)
		}
	}
	if d := r.status(t, "r9"); d.Stale {
		t.Errorf("status of r9 stale_after after its site was added: %+v, want not stale yet", d)
	}
	clk.Set(added.Add(staleAfter + time.Second))
	waitSiteEmails(t, r.smtp, "site dc2: no results for 10m1s (none since the notifier started watching the site)", 1)
	if d := r.status(t, "r9"); !d.Stale {
		t.Errorf("status of r9 past stale_after: %+v, want stale", d)
	}
}

// TestSiteRecoveryHeldBySilence runs two notifiers: a blind site that
// sees results again while silenced is not emailed then; once the silence
// ends the recovery is, once.
func TestSiteRecoveryHeldBySilence(t *testing.T) {
	clk := &clock{}
	var silenced atomic.Bool
	st := embeddedStore(t)
	r := siteRig(t, st, clk, &silenced)
	r.startNotifier(t)
	r.startNotifier(t)
	for _, d := range []string{"r1", "r2", "r3", "r4"} {
		r.publishFrom(t, clk, "w1", d, up, up)
	}
	clk.Set(r.clock.Add(staleAfter + 2*time.Minute))
	waitSiteEmails(t, r.smtp, "site dc1: no results", 1)

	silenced.Store(true)
	r.clock = r.clock.Add(staleAfter + 2*time.Minute)
	r.publishFrom(t, clk, "w2", "r2", up, up)
	r.checkSites(t)
	waitSite(t, st, func(s state.Site) bool { return !s.Blind && s.Notified })
	waitOutboxEmpty(t, st)
	if n := len(siteEmails(r.smtp, "results again")); n != 0 {
		t.Fatalf("%d recovery emails while the site is silenced, want none", n)
	}

	silenced.Store(false)
	back := waitSiteEmails(t, r.smtp, "site dc1: results again (from worker w2) after 13m without", 1)
	r.checkSites(t)
	waitOutboxEmpty(t, st)
	if n := len(siteEmails(r.smtp, "results again")); n != 1 {
		t.Errorf("%d recovery emails after the silence from two notifiers, want 1", n)
	}
	waitSite(t, st, func(s state.Site) bool { return !s.Blind && !s.Notified })
	if !strings.Contains(back[0].Text, "site dc1") {
		t.Errorf("recovery email:\n%s", back[0].Text)
	}
}

// silencesDown is a store whose Silences fails while down is set.
type silencesDown struct {
	state.Store
	down atomic.Bool
}

func (s *silencesDown) Silences(ctx context.Context, since time.Time) ([]state.Silence, error) {
	if s.down.Load() {
		return nil, errors.New("connection refused")
	}
	return s.Store.Silences(ctx, since)
}

// TestCheckSitesWaitsForSilences checks that a notifier that could not
// read the silences checks no site until it has: a silenced site is not
// emailed.
func TestCheckSitesWaitsForSilences(t *testing.T) {
	clk := &clock{}
	st := embeddedStore(t)
	r := siteRig(t, st, clk, nil)
	sil := state.Silence{ID: "0123456789ab", Site: "dc1", Start: r.clock, End: r.clock.Add(24 * time.Hour),
		Comment: "x", CreatedBy: "test", Created: r.clock}
	if err := st.AddSilence(t.Context(), sil, state.MaxSilences); err != nil {
		t.Fatal(err)
	}
	flaky := &silencesDown{Store: st}
	flaky.down.Store(true)
	r.startNotifierOn(t, flaky)
	clk.Set(r.clock.Add(staleAfter + time.Minute))
	if err := r.notifiers[0].CheckSites(t.Context()); err == nil || !strings.Contains(err.Error(), "read silences") {
		t.Errorf("CheckSites with the silences unreadable = %v, want an error reading them", err)
	}
	if got := sites(t, st); len(got) != 0 {
		t.Fatalf("sites committed without the silences: %+v", got)
	}
	flaky.down.Store(false)
	waitSite(t, st, func(s state.Site) bool { return s.Blind && !s.Notified })
	r.checkSites(t)
	waitOutboxEmpty(t, st)
	if n := len(r.smtp.Messages()); n != 0 {
		t.Errorf("%d emails about a silenced site, want none", n)
	}
}

func sites(t *testing.T, st state.Store) []state.Site {
	t.Helper()
	got, err := st.Sites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// devicesDown is a store whose Devices fails with the error down holds
// ("": it works).
type devicesDown struct {
	state.Store
	down atomic.Value // string
}

func (s *devicesDown) Devices(ctx context.Context) ([]state.Device, error) {
	if msg, _ := s.down.Load().(string); msg != "" {
		return nil, errors.New(msg)
	}
	return s.Store.Devices(ctx)
}

// TestWatchSitesLogsAnOutageOnce checks that a store that cannot be read
// is warned of once however many checks fail, again when the error
// changes, and its return once.
func TestWatchSitesLogsAnOutageOnce(t *testing.T) {
	clk := &clock{}
	var logs waittest.Buffer
	r := siteRig(t, embeddedStore(t), clk, nil)
	r.also(func(cfg *notifier.Config) {
		cfg.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	flaky := &devicesDown{Store: r.st}
	flaky.down.Store("connection refused")
	r.startNotifierOn(t, flaky)
	logged := func(level, text string) int {
		n := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "level="+level) && strings.Contains(line, "check sites") &&
				strings.Contains(line, text) {
				n++
			}
		}
		return n
	}
	waitLogged := func(level, text string, want int) {
		t.Helper()
		waittest.For(t, 10*time.Second, func() error {
			if n := logged(level, text); n < want {
				return fmt.Errorf("%d lines at %s about site checks with %q, want %d", n, level, text, want)
			}
			return nil
		})
	}
	waitLogged("DEBUG", "connection refused", 5)
	flaky.down.Store("i/o timeout")
	waitLogged("DEBUG", "i/o timeout", 5)
	if n := logged("WARN", ""); n != 2 {
		t.Errorf("%d warnings for failed site checks, want 2 (one per error):\n%s", n, logs.String())
	}
	flaky.down.Store("")
	waitLogged("INFO", "done waiting", 1)
	if n := logged("INFO", ""); n != 1 {
		t.Errorf("%d lines saying the site checks work again, want 1", n)
	}
}
