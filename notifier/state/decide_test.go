package state

import (
	"errors"
	"testing"
	"time"

	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// result builds a probe result of r1 at minute m with one status per target.
func result(m int, statuses map[string]proto.LinkStatus) *proto.ProbeResult {
	at := timestamppb.New(t0.Add(time.Duration(m) * time.Minute))
	res := &proto.ProbeResult{Device: "r1", Site: "dc1", CheckedAt: at}
	for _, target := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		st, ok := statuses[target]
		if !ok {
			continue
		}
		lr := &proto.LinkResult{Target: &proto.Target{Address: target}, Status: st, Sent: 5, CheckedAt: at}
		switch st {
		case proto.LinkStatus_LINK_STATUS_UP:
			lr.Received, lr.SuccessPercent = 5, 100
		case proto.LinkStatus_LINK_STATUS_DROP:
			lr.Received, lr.SuccessPercent = 3, 60
		}
		res.Links = append(res.Links, lr)
	}
	return res
}

func failed(m int, kind proto.FailureKind) *proto.ProbeResult {
	return &proto.ProbeResult{Device: "r1", Site: "dc1", CheckedAt: timestamppb.New(t0.Add(time.Duration(m) * time.Minute)),
		Failure: kind, FailureText: "connect: timed out"}
}

const (
	up   = proto.LinkStatus_LINK_STATUS_UP
	down = proto.LinkStatus_LINK_STATUS_DOWN
	drop = proto.LinkStatus_LINK_STATUS_DROP
)

// apply runs results through Decide like a store would and collects what
// each step committed.
func apply(t *testing.T, confirm int, results ...*proto.ProbeResult) (Device, [][]Alert, []Change) {
	t.Helper()
	return applyRules(t, Rules{Confirm: confirm}, results...)
}

// applyRules is apply under any rules.
func applyRules(t *testing.T, rules Rules, results ...*proto.ProbeResult) (Device, [][]Alert, []Change) {
	t.Helper()
	var dev Device
	var alerts [][]Alert
	var changes []Change
	for _, r := range results {
		u, err := Decide(dev, r, rules, t0)
		if errors.Is(err, ErrNoUpdate) {
			alerts = append(alerts, nil)
			continue
		}
		if err != nil {
			t.Fatalf("Decide: %v", err)
		}
		dev = u.Device
		alerts = append(alerts, u.Alerts)
		changes = append(changes, u.Changes...)
	}
	return dev, alerts, changes
}

func alertSummary(as []Alert) []string {
	var out []string
	for _, a := range as {
		if a.Kind == AlertDevice {
			if a.State == Flapping || a.From == Flapping {
				out = append(out, "device:"+a.From+">"+a.State)
				continue
			}
			out = append(out, "device:"+a.Failure)
			continue
		}
		out = append(out, a.Change.Target+":"+a.Change.From+">"+a.Change.To)
	}
	return out
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		confirm int
		results []*proto.ProbeResult
		alerts  [][]string // per result
		state   map[string]string
	}{
		{
			name:    "first sight of UP is quiet, of DOWN is loud",
			results: []*proto.ProbeResult{result(0, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": down})},
			alerts:  [][]string{{"10.0.0.2:>DOWN"}},
			state:   map[string]string{"10.0.0.1": "UP", "10.0.0.2": "DOWN"},
		},
		{
			name: "a change alerts once, no change is quiet",
			results: []*proto.ProbeResult{
				result(0, map[string]proto.LinkStatus{"10.0.0.1": up}),
				result(1, map[string]proto.LinkStatus{"10.0.0.1": down}),
				result(2, map[string]proto.LinkStatus{"10.0.0.1": down}),
				result(3, map[string]proto.LinkStatus{"10.0.0.1": up}),
			},
			alerts: [][]string{nil, {"10.0.0.1:UP>DOWN"}, nil, {"10.0.0.1:DOWN>UP"}},
			state:  map[string]string{"10.0.0.1": "UP"},
		},
		{
			name:    "confirm 2 needs the new state twice in a row",
			confirm: 2,
			results: []*proto.ProbeResult{
				result(0, map[string]proto.LinkStatus{"10.0.0.1": up}),
				result(1, map[string]proto.LinkStatus{"10.0.0.1": down}),
				result(2, map[string]proto.LinkStatus{"10.0.0.1": up}),
				result(3, map[string]proto.LinkStatus{"10.0.0.1": drop}),
				result(4, map[string]proto.LinkStatus{"10.0.0.1": drop}),
			},
			alerts: [][]string{nil, nil, nil, nil, {"10.0.0.1:UP>DROP"}},
			state:  map[string]string{"10.0.0.1": "DROP"},
		},
		{
			name: "an older result never rolls state back",
			results: []*proto.ProbeResult{
				result(0, map[string]proto.LinkStatus{"10.0.0.1": up}),
				result(5, map[string]proto.LinkStatus{"10.0.0.1": down}),
				result(3, map[string]proto.LinkStatus{"10.0.0.1": up}),
				result(5, map[string]proto.LinkStatus{"10.0.0.1": up}),
			},
			alerts: [][]string{nil, {"10.0.0.1:UP>DOWN"}, nil, nil},
			state:  map[string]string{"10.0.0.1": "DOWN"},
		},
		{
			name: "an unreachable device alerts once and holds its links",
			results: []*proto.ProbeResult{
				result(0, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": up, "10.0.0.3": up}),
				failed(1, proto.FailureKind_FAILURE_KIND_TIMEOUT),
				failed(2, proto.FailureKind_FAILURE_KIND_AUTH_FAILED),
				result(3, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": up, "10.0.0.3": up}),
			},
			alerts: [][]string{nil, {"device:TIMEOUT"}, nil, {"device:"}},
			state:  map[string]string{"10.0.0.1": "UP", "10.0.0.2": "UP", "10.0.0.3": "UP"},
		},
		{
			name:    "confirm 2 applies to an unreachable device too, on both edges",
			confirm: 2,
			results: []*proto.ProbeResult{
				result(0, map[string]proto.LinkStatus{"10.0.0.1": up}),
				failed(1, proto.FailureKind_FAILURE_KIND_TIMEOUT),
				result(2, map[string]proto.LinkStatus{"10.0.0.1": up}),
				failed(3, proto.FailureKind_FAILURE_KIND_TIMEOUT),
				failed(4, proto.FailureKind_FAILURE_KIND_TIMEOUT),
				result(5, map[string]proto.LinkStatus{"10.0.0.1": up}),
				failed(6, proto.FailureKind_FAILURE_KIND_TIMEOUT),
				result(7, map[string]proto.LinkStatus{"10.0.0.1": up}),
				result(8, map[string]proto.LinkStatus{"10.0.0.1": up}),
			},
			alerts: [][]string{nil, nil, nil, nil, {"device:TIMEOUT"}, nil, nil, nil, {"device:"}},
			state:  map[string]string{"10.0.0.1": "UP"},
		},
		{
			name: "a target dropped from the inventory is forgotten",
			results: []*proto.ProbeResult{
				result(0, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": up}),
				result(1, map[string]proto.LinkStatus{"10.0.0.1": up}),
			},
			alerts: [][]string{nil, nil},
			state:  map[string]string{"10.0.0.1": "UP"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dev, alerts, _ := apply(t, tt.confirm, tt.results...)
			for i := range tt.results {
				got, want := alertSummary(alerts[i]), tt.alerts[i]
				if len(got) != len(want) {
					t.Fatalf("result %d: alerts %q, want %q", i, got, want)
				}
				for j := range got {
					if got[j] != want[j] {
						t.Fatalf("result %d: alerts %q, want %q", i, got, want)
					}
				}
			}
			if len(dev.Links) != len(tt.state) {
				t.Fatalf("links %v, want %v", dev.Links, tt.state)
			}
			for target, want := range tt.state {
				if got := dev.Links[target].State; got != want {
					t.Errorf("%s: state %s, want %s", target, got, want)
				}
			}
		})
	}
}

func TestDecideCountsAJobOnce(t *testing.T) {
	// withJob marks r as the result of the job scheduled at minute m.
	withJob := func(r *proto.ProbeResult, m int) *proto.ProbeResult {
		r.ScheduledAt = timestamppb.New(t0.Add(time.Duration(m) * time.Minute))
		return r
	}
	dev, alerts, _ := apply(t, 2,
		withJob(result(0, map[string]proto.LinkStatus{"10.0.0.1": up}), 100),
		withJob(result(1, map[string]proto.LinkStatus{"10.0.0.1": down}), 101),
		// The same job probed again after a redelivery: later check time,
		// same job. It must not confirm the change on its own.
		withJob(result(2, map[string]proto.LinkStatus{"10.0.0.1": down}), 101),
		// A worker whose clock is behind reports the next job: it counts.
		withJob(result(-5, map[string]proto.LinkStatus{"10.0.0.1": down}), 102),
	)
	if alerts[2] != nil {
		t.Errorf("a repeated slot produced alerts %v", alertSummary(alerts[2]))
	}
	if got := alertSummary(alerts[3]); len(got) != 1 || got[0] != "10.0.0.1:UP>DOWN" {
		t.Errorf("second slot of DOWN: alerts %q, want the confirmed UP>DOWN", got)
	}
	if want := t0.Add(102 * time.Minute); !dev.LastScheduled.Equal(want) {
		t.Errorf("last scheduled %v, want %v", dev.LastScheduled, want)
	}
}

func TestDecideRecoveryCarriesDuration(t *testing.T) {
	_, alerts, changes := apply(t, 1,
		result(0, map[string]proto.LinkStatus{"10.0.0.1": up}),
		result(2, map[string]proto.LinkStatus{"10.0.0.1": down}),
		result(9, map[string]proto.LinkStatus{"10.0.0.1": up}),
	)
	back := alerts[2][0].Change
	if back.From != "DOWN" || back.To != "UP" {
		t.Fatalf("recovery %s > %s", back.From, back.To)
	}
	if got := back.At.Sub(back.PrevSince); got != 7*time.Minute {
		t.Errorf("down for %v, want 7m", got)
	}
	if len(changes) != 3 {
		t.Errorf("history has %d changes, want 3 (first seen, down, up)", len(changes))
	}
	if alerts[1][0].ID == alerts[2][0].ID {
		t.Error("two alerts share an id")
	}
}

func TestDecideDeviceFailureHoldsSince(t *testing.T) {
	dev, _, _ := apply(t, 1,
		result(0, map[string]proto.LinkStatus{"10.0.0.1": down}),
		failed(1, proto.FailureKind_FAILURE_KIND_REFUSED),
	)
	l := dev.Links["10.0.0.1"]
	if l.State != "DOWN" || !l.Since.Equal(t0) || !l.LastChecked.Equal(t0) {
		t.Errorf("held link = %+v, want DOWN since and checked at %v", l, t0)
	}
	if dev.Failure != "REFUSED" || !dev.FailureSince.Equal(t0.Add(time.Minute)) {
		t.Errorf("device failure %q since %v", dev.Failure, dev.FailureSince)
	}
}

// TestDecideUnknownFailureKindIsAFailure feeds Decide a result whose failure
// kind this build does not know, as a newer worker would send it (99 on
// the wire), carrying the one link it measured before failing. It is a
// device failure, never "reached": every link of the device is kept with
// its state, the failure is recorded and alerted under a name that is not
// "", and a repeat is quiet until the device is reached again.
func TestDecideUnknownFailureKindIsAFailure(t *testing.T) {
	newer := failed(1, proto.FailureKind(99))
	newer.Links = result(1, map[string]proto.LinkStatus{"10.0.0.1": up}).Links
	wire, err := pb.Marshal(newer)
	if err != nil {
		t.Fatal(err)
	}
	var got proto.ProbeResult
	if err := pb.Unmarshal(wire, &got); err != nil {
		t.Fatal(err)
	}
	if got.GetFailure() != 99 {
		t.Fatalf("failure %v on the wire, want 99", got.GetFailure())
	}

	dev, alerts, _ := apply(t, 1,
		result(0, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": down}),
		&got,
	)
	if len(dev.Links) != 2 || dev.Links["10.0.0.1"].State != "UP" || dev.Links["10.0.0.2"].State != "DOWN" {
		t.Fatalf("links after the unknown failure: %+v, want 10.0.0.1 UP and 10.0.0.2 DOWN kept", dev.Links)
	}
	if dev.Failure != "UNKNOWN_99" || !dev.FailureSince.Equal(t0.Add(time.Minute)) {
		t.Errorf("device failure %q since %v, want UNKNOWN_99 since %v", dev.Failure, dev.FailureSince, t0.Add(time.Minute))
	}
	if got := alertSummary(alerts[1]); len(got) != 1 || got[0] != "device:UNKNOWN_99" {
		t.Errorf("alerts %q, want the device unreachable (UNKNOWN_99)", got)
	}

	_, alerts, _ = apply(t, 1,
		result(0, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": down}),
		failed(1, proto.FailureKind(99)),
		failed(2, proto.FailureKind(99)),
		result(3, map[string]proto.LinkStatus{"10.0.0.1": up, "10.0.0.2": down}),
	)
	if got := [][]string{alertSummary(alerts[2]), alertSummary(alerts[3])}; len(got[0]) != 0 || len(got[1]) != 1 || got[1][0] != "device:" {
		t.Errorf("repeat, then reached: alerts %q, want none, then the device reachable again", got)
	}
}
