package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// blindSite is a site record with every field set, times outside UTC.
func blindSite(name string) state.Site {
	return state.Site{Name: name, Blind: true, Since: at(10).In(cet), LastReceived: at(0).In(cet),
		LastWorker: "w1", Notified: true}
}

func siteAlert(id, site string) state.Alert {
	return state.Alert{ID: id, Kind: state.AlertSite, Created: at(10), Site: site, Failure: state.Stale,
		At: at(10), FailureSince: at(0), Worker: "w1"}
}

func sites(t *testing.T, s state.Store) []state.Site {
	t.Helper()
	got, err := s.Sites(t.Context())
	if err != nil {
		t.Fatalf("Sites: %v", err)
	}
	return got
}

func putSite(t *testing.T, s state.Store, upd state.SiteUpdate) {
	t.Helper()
	err := s.CommitSite(t.Context(), upd.Site.Name, func(state.Site) (state.SiteUpdate, error) { return upd, nil })
	if err != nil {
		t.Fatalf("CommitSite %s: %v", upd.Site.Name, err)
	}
}

// testCommitSite writes a site's record and its alert together, shows the
// record to the next decide, and lists sites by name.
func testCommitSite(t *testing.T, s state.Store) {
	expect(t, "Sites of a new store", sites(t, s), []state.Site(nil))
	var seen []state.Site
	err := s.CommitSite(t.Context(), "dc2", func(prev state.Site) (state.SiteUpdate, error) {
		seen = append(seen, prev)
		return state.SiteUpdate{Site: blindSite("dc2"), Alerts: []state.Alert{siteAlert("dc2-blind", "dc2")}}, nil
	})
	if err != nil {
		t.Fatalf("CommitSite: %v", err)
	}
	expect(t, "first decide's record", seen, []state.Site{{}})
	putSite(t, s, state.SiteUpdate{Site: blindSite("dc1")})
	expect(t, "Sites", sites(t, s), []state.Site{blindSite("dc1"), blindSite("dc2")})
	expect(t, "Outbox", outbox(t, s, 0), []state.Alert{siteAlert("dc2-blind", "dc2")})

	seen = nil
	back := state.Site{Name: "dc2", Since: at(20), LastReceived: at(19), LastWorker: "w2"}
	err = s.CommitSite(t.Context(), "dc2", func(prev state.Site) (state.SiteUpdate, error) {
		seen = append(seen, prev)
		return state.SiteUpdate{Site: back}, nil
	})
	if err != nil {
		t.Fatalf("CommitSite: %v", err)
	}
	expect(t, "decide's previous record", seen, []state.Site{blindSite("dc2")})
	expect(t, "Sites", sites(t, s), []state.Site{blindSite("dc1"), back})
	if got := devices(t, s); len(got) != 0 {
		t.Errorf("Devices after site commits: %+v, want none", got)
	}
}

// testCommitSiteNothing checks that ErrNoUpdate, another error and a
// record of another site write nothing.
func testCommitSiteNothing(t *testing.T, s state.Store) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		decide  func(state.Site) (state.SiteUpdate, error)
		wantErr error
	}{
		{"no update", func(state.Site) (state.SiteUpdate, error) {
			return state.SiteUpdate{Site: blindSite("dc1"), Alerts: []state.Alert{siteAlert("a", "dc1")}}, state.ErrNoUpdate
		}, nil},
		{"error", func(state.Site) (state.SiteUpdate, error) {
			return state.SiteUpdate{Site: blindSite("dc1"), Alerts: []state.Alert{siteAlert("a", "dc1")}}, boom
		}, boom},
		{"another site's record", func(state.Site) (state.SiteUpdate, error) {
			return state.SiteUpdate{Site: blindSite("dc2"), Alerts: []state.Alert{siteAlert("a", "dc2")}}, nil
		}, errAny},
		{"alert without id", func(state.Site) (state.SiteUpdate, error) {
			return state.SiteUpdate{Site: blindSite("dc1"), Alerts: []state.Alert{siteAlert("", "dc1")}}, nil
		}, errAny},
	} {
		err := s.CommitSite(t.Context(), "dc1", tc.decide)
		switch {
		case tc.wantErr == nil && err != nil, tc.wantErr == errAny && err == nil,
			tc.wantErr != nil && tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
			t.Errorf("%s: CommitSite = %v, want %v", tc.name, err, tc.wantErr)
		}
	}
	expect(t, "Sites", sites(t, s), []state.Site(nil))
	expect(t, "Outbox", outbox(t, s, 0), []state.Alert(nil))
}

var errAny = errors.New("any error")

// testSiteAlertOnce commits the same alert id twice, by a site and after a
// delivery failure parked it: it is queued once.
func testSiteAlertOnce(t *testing.T, s state.Store) {
	a := siteAlert("dc1|site", "dc1")
	putSite(t, s, state.SiteUpdate{Site: blindSite("dc1"), Alerts: []state.Alert{a}})
	putSite(t, s, state.SiteUpdate{Site: blindSite("dc1"), Alerts: []state.Alert{a}})
	expect(t, "Outbox", outbox(t, s, 0), []state.Alert{a})
	if err := s.Park(t.Context(), a.ID, "550"); err != nil {
		t.Fatalf("Park: %v", err)
	}
	putSite(t, s, state.SiteUpdate{Site: blindSite("dc1"), Alerts: []state.Alert{a}})
	expect(t, "Outbox after parking", outbox(t, s, 0), []state.Alert(nil))
}

// testConcurrentSiteCommits has many deciders (notifiers) find the same
// site blind at once: one alert is queued, as DecideSite's record says.
func testConcurrentSiteCommits(t *testing.T, s state.Store) {
	const n = 20
	var calls [n]int
	commitAll(t, n, func(i int) error {
		return s.CommitSite(t.Context(), "dc1", func(prev state.Site) (state.SiteUpdate, error) {
			calls[i]++
			return state.DecideSite(prev, "dc1", state.Seen{Received: at(0), Worker: "w1"},
				state.SiteRules{StaleAfter: time.Minute, Started: at(-60)}, at(i+2))
		})
	})
	if got := outbox(t, s, 0); len(got) != 1 || got[0].Kind != state.AlertSite || got[0].Site != "dc1" {
		t.Fatalf("outbox after %d notifiers found dc1 blind at once: %+v, want one site alert", n, got)
	}
	if got := sites(t, s); len(got) != 1 || !got[0].Blind {
		t.Errorf("Sites = %+v, want dc1 blind", got)
	}
}

// testFleetHistory reads the history of every device: newest first over
// all of them, with reachability changes (Target ""), bounded by since,
// target and limit.
func testFleetHistory(t *testing.T, s state.Store) {
	a1 := change("r1", "10.0.0.1", "", "DOWN", at(1))
	b2 := change("r2", "10.0.0.1", "", "UP", at(2).In(cet))
	reach := state.Change{Device: "r3", Site: "dc2", From: "", To: state.Unreachable, At: at(3),
		Failure: "AUTH_FAILED", Error: "permission denied"}
	a4 := change("r1", "10.0.0.2", "", "DROP", at(4))
	b5 := change("r2", "10.0.0.1", "UP", "DOWN", at(5))
	dev := state.Device{Site: "dc1"}
	put(t, s, "r1", state.Update{Device: dev, Changes: []state.Change{a1}})
	put(t, s, "r2", state.Update{Device: dev, Changes: []state.Change{b2}})
	put(t, s, "r3", state.Update{Device: state.Device{Site: "dc2"}, Changes: []state.Change{reach}})
	put(t, s, "r1", state.Update{Device: dev, Changes: []state.Change{a4}})
	put(t, s, "r2", state.Update{Device: dev, Changes: []state.Change{b5}})
	put(t, s, "r4", state.Update{Device: dev}) // no history
	tests := []struct {
		name   string
		target string
		since  time.Time
		limit  int
		want   []state.Change
	}{
		{"all", "", time.Time{}, 0, []state.Change{b5, a4, reach, b2, a1}},
		{"since", "", at(2), 0, []state.Change{b5, a4, reach, b2}},
		{"limit", "", time.Time{}, 3, []state.Change{b5, a4, reach}},
		{"since and limit", "", at(3), 10, []state.Change{b5, a4, reach}},
		{"limit below one device's count", "", time.Time{}, 1, []state.Change{b5}},
		{"target of every device", "10.0.0.1", time.Time{}, 0, []state.Change{b5, b2, a1}},
		{"target and limit", "10.0.0.1", time.Time{}, 2, []state.Change{b5, b2}},
		{"since after all", "", at(6), 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, fmt.Sprintf("History(\"\", %q, %v, %d)", tc.target, tc.since, tc.limit),
				history(t, s, "", tc.target, tc.since, tc.limit), tc.want)
		})
	}
	expect(t, "History of r3 (a reachability change)", history(t, s, "r3", "", time.Time{}, 0), []state.Change{reach})
}
