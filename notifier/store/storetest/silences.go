package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

func silence(id string, start, end time.Time) state.Silence {
	return state.Silence{ID: id, Device: "r1", Site: "dc1", Target: "10.0.0.1%MGMT", Start: start, End: end,
		Comment: "IOS upgrade\nchange 42", CreatedBy: "ana@noc1", Created: start}
}

func addSilence(t *testing.T, s state.Store, sil state.Silence) {
	t.Helper()
	if err := s.AddSilence(t.Context(), sil, limit); err != nil {
		t.Fatalf("AddSilence %s: %v", sil.ID, err)
	}
}

func silences(t *testing.T, s state.Store, since time.Time) []state.Silence {
	t.Helper()
	ss, err := s.Silences(t.Context(), since)
	if err != nil {
		t.Fatalf("Silences(%v): %v", since, err)
	}
	return ss
}

func testSilences(t *testing.T, s state.Store) {
	expect(t, "Silences of an empty store", silences(t, s, time.Time{}), []state.Silence(nil))
	b := silence("b", at(10).In(cet), at(70))
	a := silence("a", at(10), at(20))
	c := silence("c", at(0), at(30))
	c.Device, c.Target, c.Comment = "", "", "site-wide"
	for _, sil := range []state.Silence{b, a, c} {
		addSilence(t, s, sil)
	}
	expect(t, "Silences by start then id", silences(t, s, time.Time{}), []state.Silence{c, a, b})
	expect(t, "Silences ending at or after 20m", silences(t, s, at(20)), []state.Silence{c, a, b})
	expect(t, "Silences ending after 20m", silences(t, s, at(20).Add(time.Nanosecond)), []state.Silence{c, b})
	if err := s.AddSilence(t.Context(), a, limit); err == nil {
		t.Error("AddSilence of an existing id succeeded")
	}
	if err := s.AddSilence(t.Context(), state.Silence{End: at(5)}, limit); err == nil {
		t.Error("AddSilence without an id succeeded")
	}
}

func testExpireSilence(t *testing.T, s state.Store) {
	a := silence("a", at(0), at(60))
	later := silence("later", at(30), at(90))
	addSilence(t, s, a)
	addSilence(t, s, later)
	got, err := s.ExpireSilence(t.Context(), "a", at(10).In(cet), "bob@noc2")
	if err != nil {
		t.Fatalf("ExpireSilence: %v", err)
	}
	want := a
	want.End, want.ExpiredBy = at(10), "bob@noc2"
	expect(t, "expired silence", got, want)
	again, err := s.ExpireSilence(t.Context(), "a", at(20), "carl@noc3")
	if err != nil {
		t.Fatalf("ExpireSilence again: %v", err)
	}
	expect(t, "silence expired twice", again, want)
	// One that has not begun ends before it begins.
	got, err = s.ExpireSilence(t.Context(), "later", at(20), "bob@noc2")
	if err != nil {
		t.Fatalf("ExpireSilence before its start: %v", err)
	}
	if !got.Start.Equal(at(20)) || !got.End.Equal(at(20)) || got.Active(at(40)) {
		t.Errorf("silence expired before its start = %+v, want it never in force", got)
	}
	expect(t, "stored", silences(t, s, time.Time{}), []state.Silence{want, got})
	if _, err := s.ExpireSilence(t.Context(), "nope", at(20), "bob@noc2"); !errors.Is(err, state.ErrNoSilence) {
		t.Errorf("ExpireSilence of an unknown id: %v, want ErrNoSilence", err)
	}
}

func testPruneSilences(t *testing.T, s state.Store) {
	old, recent := silence("old", at(0), at(10)), silence("recent", at(0), at(30))
	addSilence(t, s, old)
	addSilence(t, s, recent)
	if err := s.PruneSilences(t.Context(), at(20)); err != nil {
		t.Fatalf("PruneSilences: %v", err)
	}
	expect(t, "after pruning", silences(t, s, time.Time{}), []state.Silence{recent})
	if err := s.PruneSilences(t.Context(), at(20)); err != nil {
		t.Fatalf("PruneSilences with nothing to prune: %v", err)
	}
}

// limit is the number of silences the suite's stores allow.
const limit = 5

// testSilenceLimit fills the store to the limit but one (an ended silence
// among them: it counts until it is pruned), then adds two at once:
// exactly one gets in.
func testSilenceLimit(t *testing.T, s state.Store) {
	addSilence(t, s, silence("ended", at(0), at(1)))
	for i := range limit - 2 {
		addSilence(t, s, silence(fmt.Sprintf("s%04d", i), at(10), at(100)))
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = s.AddSilence(t.Context(), silence(fmt.Sprintf("last%d", i), at(10), at(100)), limit) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two silences added at the limit at once: %v, %v; want exactly one refused", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, state.ErrTooManySilences) {
			t.Errorf("refusal %v, want ErrTooManySilences", err)
		}
	}
	// Once the ended one is pruned, there is room again.
	if err := s.PruneSilences(t.Context(), at(2)); err != nil {
		t.Fatal(err)
	}
	addSilence(t, s, silence("next", at(100), at(200)))
}
