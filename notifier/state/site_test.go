package state

import (
	"errors"
	"testing"
	"time"
)

// minute returns t0 plus m minutes.
func minute(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func TestDecideSite(t *testing.T) {
	rules := SiteRules{StaleAfter: 10 * time.Minute, Started: minute(0)}
	silenced := rules
	silenced.Silenced = true
	blind := Site{Name: "dc1", Blind: true, Since: minute(15), LastReceived: minute(4), LastWorker: "w1", Notified: true,
		Episode: 1}
	held := blind
	held.Notified = false
	// back is blind seeing results again at minute 31, its recovery held
	// back by a silence.
	back := Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2", Notified: true,
		Episode: 1, BlindFrom: minute(4)}
	tests := []struct {
		name      string
		prev      Site
		seen      Seen
		rules     SiteRules
		now       time.Time
		want      *Site  // nil: ErrNoUpdate
		wantAlert string // the alert's Failure, "-" for none
	}{
		{"fresh", Site{}, Seen{minute(4), "w1"}, rules, minute(14), nil, ""},
		{"exactly stale_after is not yet blind", Site{}, Seen{minute(4), "w1"}, rules, minute(14), nil, ""},
		{"blind", Site{}, Seen{minute(4), "w1"}, rules, minute(15), &blind, Stale},
		{"never reported: counted from the start", Site{}, Seen{}, rules, minute(10), nil, ""},
		{"never reported, past stale_after since the start", Site{}, Seen{}, rules, minute(11),
			&Site{Name: "dc1", Blind: true, Since: minute(11), Notified: true, Episode: 1}, Stale},
		{"old result, notifier just started", Site{}, Seen{minute(-60), "w1"}, rules, minute(5), nil, ""},
		{"silenced: marked, no alert", Site{}, Seen{minute(4), "w1"}, silenced, minute(15), &held, "-"},
		{"still blind", blind, Seen{minute(4), "w1"}, rules, minute(30), nil, ""},
		{"still silenced", held, Seen{minute(4), "w1"}, silenced, minute(30), nil, ""},
		{"silence over: the held alert goes", held, Seen{minute(4), "w1"}, rules, minute(30),
			&blind, Stale},
		{"results again", blind, Seen{minute(31), "w2"}, rules, minute(32),
			&Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2", Episode: 1}, ""},
		{"results again after a held alert: quiet", held, Seen{minute(31), "w2"}, rules, minute(32),
			&Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2", Episode: 1}, "-"},
		{"results again while silenced: recorded, told later", blind, Seen{minute(31), "w2"}, silenced, minute(32),
			&back, "-"},
		{"recovery still silenced", back, Seen{minute(33), "w2"}, silenced, minute(34), nil, ""},
		{"silence over: the held recovery goes", back, Seen{minute(33), "w2"}, rules, minute(40),
			&Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2", Episode: 1}, ""},
		{"blind again while its recovery is held: nothing to tell", back, Seen{minute(31), "w2"}, rules, minute(42),
			&Site{Name: "dc1", Blind: true, Since: minute(42), LastReceived: minute(31), LastWorker: "w2", Notified: true,
				Episode: 2}, "-"},
		{"an older read of the devices does not make it blind again",
			Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2", Episode: 1},
			Seen{minute(4), "w1"}, rules, minute(35), nil, ""},
		{"off", Site{}, Seen{minute(4), "w1"}, SiteRules{}, minute(600), nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := DecideSite(tc.prev, "dc1", tc.seen, tc.rules, tc.now)
			if tc.want == nil {
				if !errors.Is(err, ErrNoUpdate) {
					t.Fatalf("DecideSite = %+v, %v; want ErrNoUpdate", u, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.Site != *tc.want {
				t.Errorf("site = %+v\nwant %+v", u.Site, *tc.want)
			}
			if tc.wantAlert == "-" {
				if len(u.Alerts) != 0 {
					t.Errorf("alerts %+v, want none", u.Alerts)
				}
				return
			}
			if len(u.Alerts) != 1 || u.Alerts[0].Kind != AlertSite || u.Alerts[0].Failure != tc.wantAlert ||
				u.Alerts[0].Site != "dc1" || u.Alerts[0].ID == "" {
				t.Errorf("alerts %+v, want one site alert with failure %q", u.Alerts, tc.wantAlert)
			}
		})
	}
}

// TestSiteAlertIDs checks that the alerts of one episode are deterministic
// (two notifiers deciding it queue one) and those of another differ.
func TestSiteAlertIDs(t *testing.T) {
	rules := SiteRules{StaleAfter: time.Minute, Started: minute(0)}
	a, _ := DecideSite(Site{}, "dc1", Seen{minute(4), "w1"}, rules, minute(6))
	b, _ := DecideSite(Site{}, "dc1", Seen{minute(4), "w1"}, rules, minute(7))
	if a.Alerts[0].ID != b.Alerts[0].ID {
		t.Errorf("ids %q, %q of one episode: want them equal", a.Alerts[0].ID, b.Alerts[0].ID)
	}
	back, _ := DecideSite(a.Site, "dc1", Seen{minute(9), "w2"}, rules, minute(9))
	if back.Alerts[0].ID == a.Alerts[0].ID || !back.Alerts[0].FailureSince.Equal(minute(4)) || back.Alerts[0].Worker != "w2" {
		t.Errorf("recovery alert %+v: want its own id, blind since minute 4, worker w2", back.Alerts[0])
	}
	c, _ := DecideSite(back.Site, "dc1", Seen{minute(9), "w2"}, rules, minute(11))
	fresh, _ := DecideSite(Site{}, "dc1", Seen{minute(9), "w2"}, rules, minute(11)) // a store started afresh
	if c.Alerts[0].ID == a.Alerts[0].ID || fresh.Alerts[0].ID == a.Alerts[0].ID {
		t.Errorf("ids %q, %q of later episodes: want them apart from the first's, %q",
			c.Alerts[0].ID, fresh.Alerts[0].ID, a.Alerts[0].ID)
	}
}

// TestSiteHeldRecoveryAlert checks the recovery told once a silence ends:
// at the time the results came, the silence counted from the last result
// before it.
func TestSiteHeldRecoveryAlert(t *testing.T) {
	rules := SiteRules{StaleAfter: 10 * time.Minute, Started: minute(0)}
	silenced := rules
	silenced.Silenced = true
	blind, _ := DecideSite(Site{}, "dc1", Seen{minute(4), "w1"}, rules, minute(15))
	back, err := DecideSite(blind.Site, "dc1", Seen{minute(31), "w2"}, silenced, minute(32))
	if err != nil || len(back.Alerts) != 0 {
		t.Fatalf("recovery while silenced = %+v, %v; want recorded, no alert", back, err)
	}
	direct, _ := DecideSite(blind.Site, "dc1", Seen{minute(31), "w2"}, rules, minute(32))
	told, err := DecideSite(back.Site, "dc1", Seen{minute(38), "w2"}, rules, minute(40))
	if err != nil || len(told.Alerts) != 1 {
		t.Fatalf("after the silence = %+v, %v; want the recovery", told, err)
	}
	a := told.Alerts[0]
	if a.Failure != "" || !a.At.Equal(minute(32)) || !a.FailureSince.Equal(minute(4)) || a.Worker != "w2" ||
		!a.Created.Equal(minute(40)) || a.ID != direct.Alerts[0].ID {
		t.Errorf("held recovery %+v: want at minute 32, none since minute 4, worker w2, created minute 40, the id of the recovery told at once (%s)", a, direct.Alerts[0].ID)
	}
	if _, err := DecideSite(told.Site, "dc1", Seen{minute(38), "w2"}, rules, minute(41)); !errors.Is(err, ErrNoUpdate) {
		t.Errorf("after the recovery was told: %v, want ErrNoUpdate", err)
	}
}

// TestSiteTwoNotifiersInterleaved replays two notifiers sharing a store:
// B read the devices before a result arrived, A committed the recovery
// that result brought, then B commits its decision from the old read. B
// must not make the site blind again, and the next episode's alerts must
// not reuse the IDs of the first's.
func TestSiteTwoNotifiersInterleaved(t *testing.T) {
	rules := SiteRules{StaleAfter: 10 * time.Minute, Started: minute(0)}
	old, fresh := Seen{minute(4), "w1"}, Seen{minute(31), "w2"} // B's read, A's
	blind, err := DecideSite(Site{}, "dc1", old, rules, minute(15))
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]bool{blind.Alerts[0].ID: true}
	back, err := DecideSite(blind.Site, "dc1", fresh, rules, minute(32)) // A
	if err != nil || len(back.Alerts) != 1 {
		t.Fatalf("A's recovery = %+v, %v", back, err)
	}
	sent[back.Alerts[0].ID] = true
	if u, err := DecideSite(back.Site, "dc1", old, rules, minute(33)); !errors.Is(err, ErrNoUpdate) { // B
		t.Fatalf("B's decision from its old read = %+v, %v; want ErrNoUpdate", u, err)
	}
	// A real second episode: no result after minute 31.
	again, err := DecideSite(back.Site, "dc1", old, rules, minute(42))
	if err != nil || len(again.Alerts) != 1 || sent[again.Alerts[0].ID] {
		t.Fatalf("second episode = %+v, %v; want a blind alert with an ID not sent before (%v)", again, err, sent)
	}
	if !again.Site.LastReceived.Equal(minute(31)) || again.Alerts[0].Worker != "w2" {
		t.Errorf("second episode record %+v: want its last result at minute 31 from w2", again.Site)
	}
	sent[again.Alerts[0].ID] = true
	end, err := DecideSite(again.Site, "dc1", Seen{minute(50), "w2"}, rules, minute(51))
	if err != nil || len(end.Alerts) != 1 || sent[end.Alerts[0].ID] {
		t.Errorf("second recovery = %+v, %v; want an alert with an ID not sent before (%v)", end, err, sent)
	}
}
