package state

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// linkAt is a result of r1 at minute m with 10.0.0.1 in state st.
func linkAt(m int, st proto.LinkStatus) *proto.ProbeResult {
	return result(m, map[string]proto.LinkStatus{"10.0.0.1": st})
}

// flips is one result a minute from minute from on, alternating between
// a and b, n results in all.
func flips(from, n int, a, b proto.LinkStatus) []*proto.ProbeResult {
	var rs []*proto.ProbeResult
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		rs = append(rs, linkAt(from+i, st))
	}
	return rs
}

// steady is n results a minute from minute from on, all in st.
func steady(from, n int, st proto.LinkStatus) []*proto.ProbeResult {
	var rs []*proto.ProbeResult
	for i := range n {
		rs = append(rs, linkAt(from+i, st))
	}
	return rs
}

func TestFlapping(t *testing.T) {
	flap := Flap{Changes: 3, Window: 10 * time.Minute}
	tests := []struct {
		name    string
		rules   Rules
		results []*proto.ProbeResult
		// alerts are the alerts of all results, in order.
		alerts  []string
		changes int // in the history
		final   string
	}{
		{
			name:  "a link that changes more than 3 times in 10m flaps once and leaves once, 10m after its last change",
			rules: Rules{Flap: flap},
			// m0 UP, m1..m7 alternate DOWN/UP (7 changes), then DOWN
			// steady from m7 on: quiet from m7 to m17.
			results: slices.Concat(steady(0, 1, up), flips(1, 7, down, up), steady(8, 10, down)),
			alerts: []string{
				"10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP", "10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>FLAPPING",
				"10.0.0.1:FLAPPING>DOWN",
			},
			changes: 1 + 7, // first seen, then every change
			final:   "DOWN",
		},
		{
			name:    "leaving flapping in the state it was announced in before still says so",
			rules:   Rules{Flap: flap},
			results: slices.Concat(steady(0, 1, up), flips(1, 6, down, up), steady(7, 11, up)),
			alerts: []string{
				"10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP", "10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>FLAPPING",
				"10.0.0.1:FLAPPING>UP",
			},
			changes: 1 + 6,
			final:   "UP",
		},
		{
			name:    "changes spread wider than the window never flap",
			rules:   Rules{Flap: Flap{Changes: 2, Window: 3 * time.Minute}},
			results: []*proto.ProbeResult{linkAt(0, up), linkAt(2, down), linkAt(4, up), linkAt(6, down), linkAt(8, up)},
			alerts:  []string{"10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP", "10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP"},
			changes: 5,
			final:   "UP",
		},
		{
			name:    "flap detection off (changes 0) emails every change",
			rules:   Rules{},
			results: slices.Concat(steady(0, 1, up), flips(1, 6, down, up)),
			alerts: []string{"10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP", "10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP",
				"10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>UP"},
			changes: 7,
			final:   "UP",
		},
		{
			name:    "under confirm 2 a link that alternates at every result never changes, so never flaps",
			rules:   Rules{Confirm: 2, Flap: flap},
			results: slices.Concat(steady(0, 1, up), flips(1, 9, down, up)),
			changes: 1,
			final:   "UP",
		},
		{
			name:  "under confirm 2 leaving needs the quiet period after a confirmed change",
			rules: Rules{Confirm: 2, Flap: Flap{Changes: 1, Window: 10 * time.Minute, Quiet: 3 * time.Minute}},
			// Confirmed changes at m2 (DOWN) and m4 (UP): flapping at m4.
			// A lone DOWN at m5 is not confirmed and does not count.
			results: slices.Concat(steady(0, 1, up), steady(1, 2, down), steady(3, 2, up), steady(5, 1, down), steady(6, 4, up)),
			alerts:  []string{"10.0.0.1:UP>DOWN", "10.0.0.1:DOWN>FLAPPING", "10.0.0.1:FLAPPING>UP"},
			changes: 3,
			final:   "UP",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, alerts, changes := applyRules(t, tt.rules, tt.results...)
			var got []string
			for _, as := range alerts {
				got = append(got, alertSummary(as)...)
			}
			if !slices.Equal(got, tt.alerts) {
				t.Errorf("alerts\n %q\nwant\n %q", got, tt.alerts)
			}
			if len(changes) != tt.changes {
				t.Errorf("%d changes in the history, want %d", len(changes), tt.changes)
			}
			if l := dev.Links["10.0.0.1"]; l.State != tt.final || l.Flapping {
				t.Errorf("link ends %s flapping=%v, want %s and not flapping", l.State, l.Flapping, tt.final)
			}
		})
	}
}

func TestFlappingAlertCountsChanges(t *testing.T) {
	_, alerts, _ := applyRules(t, Rules{Flap: Flap{Changes: 3, Window: 10 * time.Minute}},
		slices.Concat(steady(0, 1, up), flips(1, 4, down, up))...)
	a := alerts[4][0]
	if a.Change.To != Flapping || a.Flaps != 4 || !a.FlapsFrom.Equal(t0.Add(time.Minute)) {
		t.Errorf("flapping alert: to %s, %d flaps from %v; want FLAPPING, 4 from %v", a.Change.To, a.Flaps, a.FlapsFrom, t0.Add(time.Minute))
	}
}

func TestDeviceReachabilityFlaps(t *testing.T) {
	timeout := proto.FailureKind_FAILURE_KIND_TIMEOUT
	var rs []*proto.ProbeResult
	rs = append(rs, linkAt(0, up))
	for m := 1; m <= 6; m++ {
		if m%2 == 1 {
			rs = append(rs, failed(m, timeout))
		} else {
			rs = append(rs, linkAt(m, up))
		}
	}
	rs = append(rs, steady(7, 6, up)...) // quiet from m6 to m11
	dev, alerts, changes := applyRules(t, Rules{Flap: Flap{Changes: 3, Window: 10 * time.Minute, Quiet: 5 * time.Minute}}, rs...)
	var got []string
	for _, as := range alerts {
		got = append(got, alertSummary(as)...)
	}
	want := []string{"device:TIMEOUT", "device:", "device:TIMEOUT", "device:UNREACHABLE>FLAPPING", "device:FLAPPING>REACHABLE"}
	if !slices.Equal(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}
	var reach []string
	for _, c := range changes {
		if c.Target == "" {
			reach = append(reach, c.From+">"+c.To)
		}
	}
	if len(reach) != 6 || reach[0] != "REACHABLE>UNREACHABLE" || reach[1] != "UNREACHABLE>REACHABLE" {
		t.Errorf("reachability history %q, want 6 changes, REACHABLE>UNREACHABLE first", reach)
	}
	if dev.Flapping || dev.Notified != Reachable {
		t.Errorf("device ends flapping=%v notified %q, want quiet and REACHABLE", dev.Flapping, dev.Notified)
	}
}

func TestReachabilityHistory(t *testing.T) {
	_, _, changes := apply(t, 1,
		failed(0, proto.FailureKind_FAILURE_KIND_AUTH_FAILED), // never reached
		linkAt(1, up),
		failed(2, proto.FailureKind_FAILURE_KIND_TIMEOUT),
	)
	var got []string
	for _, c := range changes {
		if c.Target == "" {
			got = append(got, c.From+">"+c.To+":"+c.Failure)
		}
	}
	want := []string{">UNREACHABLE:AUTH_FAILED", "UNREACHABLE>REACHABLE:AUTH_FAILED", "REACHABLE>UNREACHABLE:TIMEOUT"}
	if !slices.Equal(got, want) {
		t.Errorf("reachability changes %q, want %q", got, want)
	}
}

// silence holds back every alert about r1 while on is true.
type silence struct{ on bool }

func (s *silence) rules(r Rules) Rules {
	r.Silenced = func(site, device, target string) bool { return s.on && site == "dc1" && device == "r1" }
	return r
}

func TestSilenceAndReconcile(t *testing.T) {
	tests := []struct {
		name string
		// during are the results while silenced, after the first, UP.
		during []*proto.ProbeResult
		// reconciled are the alerts when the silence ends.
		reconciled []string
	}{
		{"a link down at the end is reported once", steady(1, 2, down), []string{"10.0.0.1:UP>DOWN"}},
		{"a link back to the state last emailed is not", []*proto.ProbeResult{linkAt(1, down), linkAt(2, up)}, nil},
		{"a device unreachable at the end is reported once", []*proto.ProbeResult{failed(1, proto.FailureKind_FAILURE_KIND_TIMEOUT)}, []string{"device:TIMEOUT"}},
		{"a link flapping at the end is reported as flapping", flips(1, 6, down, up), []string{"10.0.0.1:UP>FLAPPING"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &silence{}
			rules := s.rules(Rules{Flap: Flap{Changes: 3, Window: time.Hour}})
			dev, _, _ := applyRules(t, rules, linkAt(0, up))
			s.on = true
			var history int
			for _, r := range tt.during {
				u, err := Decide(dev, r, rules, t0)
				if err != nil {
					t.Fatal(err)
				}
				if len(u.Alerts) > 0 {
					t.Fatalf("alerts while silenced: %q", alertSummary(u.Alerts))
				}
				history += len(u.Changes)
				dev = u.Device
			}
			if history == 0 {
				t.Error("silenced changes are missing from the history")
			}
			if _, err := Reconcile(dev, rules, t0); !errors.Is(err, ErrNoUpdate) {
				t.Errorf("Reconcile while still silenced = %v, want ErrNoUpdate", err)
			}
			s.on = false
			u, err := Reconcile(dev, rules, t0)
			if len(tt.reconciled) == 0 {
				if !errors.Is(err, ErrNoUpdate) {
					t.Fatalf("Reconcile = %q, %v; want nothing to report", alertSummary(u.Alerts), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := alertSummary(u.Alerts); !slices.Equal(got, tt.reconciled) {
				t.Errorf("Reconcile alerts %q, want %q", got, tt.reconciled)
			}
			if _, err := Reconcile(u.Device, rules, t0); !errors.Is(err, ErrNoUpdate) {
				t.Errorf("second Reconcile = %v, want ErrNoUpdate: it reports once", err)
			}
		})
	}
}

// TestUpgradeKeepsWhatWasAnnounced: a record stored before announcements
// were tracked is taken to have announced its states, so the first result
// after an upgrade does not email them again.
func TestUpgradeKeepsWhatWasAnnounced(t *testing.T) {
	legacy := Device{Name: "r1", Site: "dc1", LastResult: t0, Failure: "TIMEOUT", FailureSince: t0,
		Links: map[string]Link{"10.0.0.1": {Device: "r1", Site: "dc1", Target: "10.0.0.1", State: Down, Since: t0}}}
	u, err := Decide(legacy, failed(1, proto.FailureKind_FAILURE_KIND_TIMEOUT), Rules{}, t0)
	if err != nil || len(u.Alerts) != 0 {
		t.Fatalf("repeat of the stored failure: alerts %q, err %v; want none", alertSummary(u.Alerts), err)
	}
	u, err = Decide(u.Device, linkAt(2, down), Rules{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := alertSummary(u.Alerts); !slices.Equal(got, []string{"device:"}) {
		t.Errorf("reached again, link still DOWN: alerts %q, want only the device reachable again", got)
	}
}

func TestDecideRecordsWorkerAndReceived(t *testing.T) {
	r := linkAt(0, up)
	r.Worker = "w1"
	now := t0.Add(time.Hour)
	u, err := Decide(Device{}, r, Rules{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if u.Device.Worker != "w1" || !u.Device.Received.Equal(now) {
		t.Errorf("worker %q received %v, want w1 at %v", u.Device.Worker, u.Device.Received, now)
	}
}
