package storetest

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

func testHistory(t *testing.T, s state.Store) {
	a1 := change("r1", "10.0.0.1", "", "DOWN", at(1))
	b2 := change("r1", "10.0.0.2", "", "DOWN", at(2).In(cet))
	a3 := change("r1", "10.0.0.1", "DOWN", "UP", at(3))
	b4 := change("r1", "10.0.0.2", "DOWN", "DROP", at(4))
	other := change("r2", "10.0.0.1", "", "UP", at(2))
	dev := state.Device{Site: "dc1"}
	put(t, s, "r1", state.Update{Device: dev, Changes: []state.Change{a1}})
	put(t, s, "r2", state.Update{Device: dev, Changes: []state.Change{other}})
	put(t, s, "r1", state.Update{Device: dev, Changes: []state.Change{b2, a3}})
	put(t, s, "r1", state.Update{Device: dev, Changes: []state.Change{b4}})

	tests := []struct {
		name           string
		device, target string
		since          time.Time
		limit          int
		want           []state.Change
	}{
		{"all", "r1", "", time.Time{}, 0, []state.Change{b4, a3, b2, a1}},
		{"negative limit is all", "r1", "", time.Time{}, -1, []state.Change{b4, a3, b2, a1}},
		{"other device", "r2", "", time.Time{}, 0, []state.Change{other}},
		{"unknown device", "r9", "", time.Time{}, 0, nil},
		{"target", "r1", "10.0.0.1", time.Time{}, 0, []state.Change{a3, a1}},
		{"unknown target", "r1", "10.9.9.9", time.Time{}, 0, nil},
		{"since is inclusive", "r1", "", at(2), 0, []state.Change{b4, a3, b2}},
		{"since in another location", "r1", "", at(2).In(cet), 0, []state.Change{b4, a3, b2}},
		{"since below a millisecond", "r1", "", at(2).Add(time.Nanosecond), 0, []state.Change{b4, a3}},
		{"since after all", "r1", "", at(5), 0, nil},
		{"limit", "r1", "", time.Time{}, 2, []state.Change{b4, a3}},
		{"limit above count", "r1", "", time.Time{}, 10, []state.Change{b4, a3, b2, a1}},
		{"target and limit", "r1", "10.0.0.2", time.Time{}, 1, []state.Change{b4}},
		{"target, since and limit", "r1", "10.0.0.1", at(2), 5, []state.Change{a3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := history(t, s, tc.device, tc.target, tc.since, tc.limit)
			expect(t, "History", got, tc.want)
		})
	}
}

// testHistoryEqualChanges commits the same change twice, in one commit and
// in two: a history is a log, not a set.
func testHistoryEqualChanges(t *testing.T, s state.Store) {
	c := change("r1", "10.0.0.1", "UP", "DOWN", at(1))
	upd := state.Update{Device: state.Device{Site: "dc1"}, Changes: []state.Change{c, c}}
	put(t, s, "r1", upd)
	put(t, s, "r1", upd)
	expect(t, "History", history(t, s, "r1", "", time.Time{}, 0), []state.Change{c, c, c, c})
}

// testHistorySubMillisecond checks the order of changes closer together
// than a millisecond, committed out of order.
func testHistorySubMillisecond(t *testing.T, s state.Store) {
	var want []state.Change
	for _, d := range []time.Duration{time.Millisecond, time.Microsecond + 1, time.Microsecond, 1, 0} {
		want = append(want, change("r1", "10.0.0.1", "UP", "DOWN", at(1).Add(d)))
	}
	dev := state.Device{Site: "dc1"}
	for _, i := range []int{2, 4, 0, 3, 1} {
		put(t, s, "r1", state.Update{Device: dev, Changes: []state.Change{want[i]}})
	}
	expect(t, "History", history(t, s, "r1", "", time.Time{}, 0), want)
	expect(t, "History since", history(t, s, "r1", "", at(1).Add(1), 0), want[:4])
}
