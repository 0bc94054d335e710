package mailer

import (
	"slices"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

func TestNextBatch(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := func(id, route string, after time.Duration) state.Alert {
		return state.Alert{ID: id, Route: route, Created: t0.Add(after)}
	}
	outbox := []state.Alert{at("a1", "", 0), at("b1", "dc1", time.Second), at("a2", "", 20*time.Second),
		at("b2", "dc1", 25*time.Second), at("a3", "", 31*time.Second)}
	ids := func(as []state.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	gw := 30 * time.Second
	if batch, wait := nextBatch(outbox, t0.Add(gw-time.Second), gw, 10); batch != nil || wait != time.Second {
		t.Errorf("a second before the end of the burst: %v, wait %v; want nothing, wait 1s", ids(batch), wait)
	}
	// The default route's burst is due first; a3 came after it ended.
	batch, _ := nextBatch(outbox, t0.Add(gw), gw, 10)
	if got := ids(batch); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Errorf("first batch %v, want [a1 a2]", got)
	}
	// The same batch, however late it is chosen again, whatever joined
	// the outbox meanwhile.
	later := append(slices.Clone(outbox), at("a4", "", time.Hour))
	if again, _ := nextBatch(later, t0.Add(2*time.Hour), gw, 10); !slices.Equal(ids(again), ids(batch)) {
		t.Errorf("chosen again later: %v, want %v", ids(again), ids(batch))
	}
	if capped, _ := nextBatch(outbox, t0.Add(time.Hour), gw, 1); !slices.Equal(ids(capped), []string{"a1"}) {
		t.Errorf("capped at 1: %v, want [a1]", ids(capped))
	}
	// Once the default route's alerts are sent, dc1's burst is next.
	rest := []state.Alert{outbox[1], outbox[3], outbox[4]}
	if batch, _ := nextBatch(rest, t0.Add(time.Hour), gw, 10); !slices.Equal(ids(batch), []string{"b1", "b2"}) {
		t.Errorf("dc1's batch %v, want [b1 b2]", ids(batch))
	}
}
