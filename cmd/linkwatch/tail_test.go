package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// history is a notifier's recorded changes as the API answers them: at
// or after since, newest first, at most limit; err, when set, is its
// answer instead (the notifier restarting).
type history struct {
	changes []state.Change
	err     error
}

func (h *history) ask(since time.Time, limit int) ([]state.Change, error) {
	if h.err != nil {
		return nil, h.err
	}
	var out []state.Change
	for _, c := range slices.Backward(h.changes) {
		if !c.At.Before(since) && (limit == 0 || len(out) < limit) {
			out = append(out, c)
		}
	}
	return out, nil
}

// TestChangeFeed checks that tail prints each change once, oldest first,
// from its start on: not the history before it, not again what it printed,
// a change committed late with an older time, and what was committed while
// the notifier did not answer.
func TestChangeFeed(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	ch := func(dev, to string, d time.Duration) state.Change {
		return state.Change{Device: dev, Target: "10.0.0.1", To: to, At: t0.Add(d)}
	}
	h := &history{changes: []state.Change{ch("r1", "UP", 0), ch("r2", "UP", time.Second)}}
	f := &changeFeed{lookback: 10 * time.Minute, seen: map[changeKey]bool{}}
	ctx := context.Background()
	step := func(want ...string) {
		t.Helper()
		got, err := f.next(ctx, h.ask)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Device+" "+c.To)
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("feed gave %q, want %q", names, want)
		}
	}
	step() // the start: nothing from before
	step()
	h.changes = append(h.changes, ch("r1", "DOWN", time.Minute), ch("r2", "DROP", time.Minute))
	step("r1 DOWN", "r2 DROP")
	step()
	// A late result commits a change older than the newest seen.
	h.changes = append(h.changes, ch("r3", "DOWN", 30*time.Second))
	step("r3 DOWN")
	// The notifier restarts; what it committed meanwhile comes after.
	h.err = errors.New("nats: no responders available for request")
	if _, err := f.next(ctx, h.ask); err == nil {
		t.Fatal("no error from a notifier that does not answer")
	}
	h.err = nil
	h.changes = append(h.changes, ch("r1", "UP", 2*time.Minute), ch("r2", "UP", 3*time.Minute))
	step("r1 UP", "r2 UP")
	step()
	// Far later, what is out of the window is forgotten.
	h.changes = append(h.changes, ch("r1", "DOWN", time.Hour))
	step("r1 DOWN")
	if len(f.seen) != 1 {
		t.Errorf("%d changes remembered, want 1 (those within twice the look-back)", len(f.seen))
	}
}

// TestChangeFeedEmpty checks a feed that starts on an empty history
// gives the first change ever.
func TestChangeFeedEmpty(t *testing.T) {
	h := &history{}
	f := &changeFeed{lookback: time.Minute, seen: map[changeKey]bool{}}
	if got, err := f.next(context.Background(), h.ask); err != nil || len(got) != 0 {
		t.Fatalf("start: %v, %v", got, err)
	}
	h.changes = []state.Change{{Device: "r1", Target: "10.0.0.1", To: "UP", At: time.Now()}}
	if got, err := f.next(context.Background(), h.ask); err != nil || len(got) != 1 {
		t.Errorf("first change: %v, %v; want it", got, err)
	}
}

func TestChangeLine(t *testing.T) {
	at := time.Date(2026, 11, 29, 10, 3, 4, 0, time.UTC)
	link := state.Change{Device: "r1", Site: "dc1", Target: "10.0.0.2", From: "UP", To: "DOWN", At: at, Sent: 5,
		Error: "100% loss from the device's ping"}
	first := state.Change{Device: "r1", Site: "dc1", Target: "10.0.0.2", VRF: "mgmt", To: "UP", At: at, Sent: 5, Received: 5}
	reach := state.Change{Device: "r2", Site: "dc2", From: "REACHABLE", To: "UNREACHABLE", At: at, Failure: "TIMEOUT",
		Error: "dial tcp 127.0.0.1:2202:\n  i/o timeout"}
	for _, tc := range []struct {
		c     state.Change
		style termstyle.Style
		want  string
	}{
		{link, termstyle.Style{}, "2026-11-29T10:03:04Z  dc1  r1  10.0.0.2  UP → DOWN  0/5 received  100% loss from the device's ping"},
		{link, termstyle.Style{Width: 70}, "2026-11-29T10:03:04Z  dc1  r1  10.0.0.2  UP → DOWN  0/5 received  100…"},
		{link, termstyle.Style{Color: true, Width: 80}, // colour takes no column
			"2026-11-29T10:03:04Z  dc1  r1  10.0.0.2  \x1b[32mUP\x1b[0m → \x1b[31mDOWN\x1b[0m  0/5 received  100% loss fro…"},
		{first, termstyle.Style{}, "2026-11-29T10:03:04Z  dc1  r1  10.0.0.2 (vrf mgmt)  (first seen) → UP  5/5 received"},
		{reach, termstyle.Style{}, "2026-11-29T10:03:04Z  dc2  r2  -  REACHABLE → UNREACHABLE  -  TIMEOUT dial tcp 127.0.0.1:2202: i/o timeout"},
	} {
		if got := changeLine(&tc.c, tc.style); got != tc.want {
			t.Errorf("changeLine(%s %s, %+v) =\n%q\nwant\n%q", tc.c.Device, tc.c.To, tc.style, got, tc.want)
		}
	}
}
