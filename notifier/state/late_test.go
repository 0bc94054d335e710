package state

import (
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
)

// job is the result of r1's job of minute m, 10.0.0.1 in st, checked at
// the scheduled time.
func job(m int, st proto.LinkStatus) *proto.ProbeResult {
	r := linkAt(m, st)
	r.ScheduledAt = timestamppb.New(t0.Add(time.Duration(m) * time.Minute))
	return r
}

// TestLateResultShowsWhatNewerOnesMissed is the chaos run's lost flip: the
// jobs of minutes 1 and 4 (DOWN) are applied, those of minutes 2 and 3
// (UP) come back later, redelivered after a notifier died mid-commit. The
// link went up and down again in between: both changes are in the history
// and emailed once, and the device's state stays DOWN.
func TestLateResultShowsWhatNewerOnesMissed(t *testing.T) {
	tests := []struct {
		name    string
		rules   Rules
		late    []*proto.ProbeResult
		changes []string // of the late results, in the history
		alerts  []string
	}{
		{"an excursion is two changes, announced", Rules{}, []*proto.ProbeResult{job(2, up), job(3, up)},
			[]string{"DOWN>UP@2", "UP>DOWN@4"}, []string{"10.0.0.1:DOWN>UP", "10.0.0.1:UP>DOWN"}},
		{"the same state as before and after is nothing", Rules{}, []*proto.ProbeResult{job(2, down)}, nil, nil},
		{"silenced: history only", Rules{Silenced: func(string, string, string) bool { return true }},
			[]*proto.ProbeResult{job(3, up)}, []string{"DOWN>UP@3", "UP>DOWN@4"}, nil},
		{"under confirm 2 one result confirms nothing", Rules{Confirm: 2}, []*proto.ProbeResult{job(3, up)}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			confirm := tt.rules.Confirm
			applied := []*proto.ProbeResult{job(0, up), job(1, down), job(4, down)}
			if confirm > 1 { // DOWN confirmed by the jobs of minutes 1 and 2
				applied = []*proto.ProbeResult{job(0, up), job(1, down), job(2, down), job(4, down)}
			}
			dev, _, _ := applyRules(t, Rules{Confirm: confirm}, applied...)
			var changes, alerts []string
			for _, r := range tt.late {
				u, err := Decide(dev, r, tt.rules, t0)
				if err != nil {
					t.Fatalf("late result: %v", err)
				}
				for _, c := range u.Changes {
					changes = append(changes, c.From+">"+c.To+"@"+minuteOf(c.At))
				}
				alerts = append(alerts, alertSummary(u.Alerts)...)
				if st := u.Device.Links["10.0.0.1"].State; st != Down {
					t.Errorf("link state %s after a late result, want DOWN, as the newest result says", st)
				}
				dev = u.Device
			}
			if !slices.Equal(changes, tt.changes) || !slices.Equal(alerts, tt.alerts) {
				t.Errorf("changes %q alerts %q, want %q and %q", changes, alerts, tt.changes, tt.alerts)
			}
			// The same late result again (a second redelivery) is nothing.
			for _, r := range tt.late {
				if _, err := Decide(dev, r, tt.rules, t0); !errors.Is(err, ErrNoUpdate) {
					t.Errorf("repeat of a late result: %v, want ErrNoUpdate", err)
				}
			}
		})
	}
}

// TestLateJobProbedAfterItsSuccessor: the job of minute 2, redelivered
// after a worker died, was probed after the job of minute 3. It is late by
// job but not by what it saw, so it shows no excursion: the chaos run saw
// "DOWN → UP" dated before the "UP → DOWN" it undid.
func TestLateJobProbedAfterItsSuccessor(t *testing.T) {
	dev, _, _ := apply(t, 1, job(0, up), job(1, up), job(3, up))
	r := job(2, down)
	r.CheckedAt = timestamppb.New(t0.Add(3*time.Minute + 20*time.Second))
	u, err := Decide(dev, r, Rules{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Changes) != 0 || len(u.Alerts) != 0 {
		t.Errorf("changes %+v alerts %q, want none", u.Changes, alertSummary(u.Alerts))
	}
}

func TestTooLateResultIsDropped(t *testing.T) {
	var applied []*proto.ProbeResult
	for m := range maxRecent + 2 {
		applied = append(applied, job(10+m, down))
	}
	dev, _, _ := apply(t, 1, applied...)
	if len(dev.Recent) != maxRecent {
		t.Fatalf("%d observations kept, want %d", len(dev.Recent), maxRecent)
	}
	if _, err := Decide(dev, job(11, up), Rules{}, t0); !errors.Is(err, ErrNoUpdate) {
		t.Errorf("a result older than the kept observations: %v, want ErrNoUpdate", err)
	}
}

func minuteOf(at time.Time) string { return at.Sub(t0).String()[:1] }
