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
	blind := Site{Name: "dc1", Blind: true, Since: minute(15), LastReceived: minute(4), LastWorker: "w1", Notified: true}
	held := blind
	held.Notified = false
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
			&Site{Name: "dc1", Blind: true, Since: minute(11), Notified: true}, Stale},
		{"old result, notifier just started", Site{}, Seen{minute(-60), "w1"}, rules, minute(5), nil, ""},
		{"silenced: marked, no alert", Site{}, Seen{minute(4), "w1"}, silenced, minute(15), &held, "-"},
		{"still blind", blind, Seen{minute(4), "w1"}, rules, minute(30), nil, ""},
		{"still silenced", held, Seen{minute(4), "w1"}, silenced, minute(30), nil, ""},
		{"silence over: the held alert goes", held, Seen{minute(4), "w1"}, rules, minute(30),
			&Site{Name: "dc1", Blind: true, Since: minute(15), LastReceived: minute(4), LastWorker: "w1", Notified: true}, Stale},
		{"results again", blind, Seen{minute(31), "w2"}, rules, minute(32),
			&Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2"}, ""},
		{"results again after a held alert: quiet", held, Seen{minute(31), "w2"}, rules, minute(32),
			&Site{Name: "dc1", Since: minute(32), LastReceived: minute(31), LastWorker: "w2"}, "-"},
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

// TestSiteAlertIDs checks that the alerts of one silence are deterministic
// (two notifiers deciding it queue one) and those of another differ.
func TestSiteAlertIDs(t *testing.T) {
	rules := SiteRules{StaleAfter: time.Minute, Started: minute(0)}
	a, _ := DecideSite(Site{}, "dc1", Seen{minute(4), "w1"}, rules, minute(6))
	b, _ := DecideSite(Site{}, "dc1", Seen{minute(4), "w1"}, rules, minute(7))
	c, _ := DecideSite(Site{}, "dc1", Seen{minute(8), "w1"}, rules, minute(10))
	if a.Alerts[0].ID != b.Alerts[0].ID || a.Alerts[0].ID == c.Alerts[0].ID {
		t.Errorf("ids %q, %q, %q: want the first two equal, the third apart", a.Alerts[0].ID, b.Alerts[0].ID, c.Alerts[0].ID)
	}
	back, _ := DecideSite(a.Site, "dc1", Seen{minute(9), "w2"}, rules, minute(9))
	if back.Alerts[0].ID == a.Alerts[0].ID || !back.Alerts[0].FailureSince.Equal(minute(4)) || back.Alerts[0].Worker != "w2" {
		t.Errorf("recovery alert %+v: want its own id, blind since minute 4, worker w2", back.Alerts[0])
	}
}
