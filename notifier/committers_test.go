package notifier_test

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// TestNotifierCommitsEachDeviceInOrder publishes a run of alternating
// results for every device at once: results of different devices are
// committed concurrently, but each device's in the order published, so
// none is taken for stale and every change is in the history.
func TestNotifierCommitsEachDeviceInOrder(t *testing.T) {
	r := newRig(t, 0)
	devices := []string{"r1", "r2", "r3", "r4"}
	const rounds = 20
	for i := range rounds {
		for _, d := range devices {
			if i%2 == 0 {
				r.publish(t, d, up, down)
			} else {
				r.publish(t, d, down, up)
			}
		}
	}
	for _, d := range devices {
		r.waitApplied(t, d)
	}
	for _, d := range devices {
		changes, err := r.st.History(t.Context(), d, "10.0.0.1", time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != rounds {
			t.Errorf("%s: %d changes of 10.0.0.1, want %d: a result was committed out of order", d, len(changes), rounds)
		}
		for i, c := range changes { // newest first
			if want := []string{state.Down, state.Up}[i%2]; c.To != want {
				t.Errorf("%s: change %d from the newest is to %s, want %s", d, i, c.To, want)
			}
		}
	}
}
