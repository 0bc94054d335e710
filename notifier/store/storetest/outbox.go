package storetest

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// queue commits alerts, one commit each, in the order given.
func queue(t *testing.T, s state.Store, alerts ...state.Alert) {
	t.Helper()
	for _, a := range alerts {
		put(t, s, "r1", state.Update{Device: state.Device{Site: "dc1"}, Alerts: []state.Alert{a}})
	}
}

// deviceAlert is an AlertDevice with every field set.
func deviceAlert(id string, created time.Time) state.Alert {
	return state.Alert{
		ID: id, Kind: state.AlertDevice, Created: created,
		Device: "r1", Site: "dc1", Failure: "AUTH_FAILED", FailureText: "permission denied",
		At: created.Add(-time.Second), FailureSince: created.Add(-time.Hour),
	}
}

func testOutboxOrder(t *testing.T, s state.Store) {
	if got := outbox(t, s, 0); len(got) != 0 {
		t.Fatalf("empty store has outbox %+v", got)
	}
	b, a := alert("b", at(2).In(cet)), deviceAlert("a", at(2))
	c, d := alert("c", at(1)), alert("d", at(1).Add(time.Microsecond))
	e := alert("e", at(1).Add(time.Millisecond))
	queue(t, s, b, e, a, d, c)
	tests := []struct {
		limit int
		want  []state.Alert
	}{
		{0, []state.Alert{c, d, e, a, b}},
		{-1, []state.Alert{c, d, e, a, b}},
		{2, []state.Alert{c, d}},
		{9, []state.Alert{c, d, e, a, b}},
	}
	for _, tc := range tests {
		expect(t, "Outbox", outbox(t, s, tc.limit), tc.want)
	}
}

func testAck(t *testing.T, s state.Store) {
	a, b, c := alert("a", at(1)), alert("b", at(2)), alert("c", at(3))
	queue(t, s, a, b, c)
	steps := []struct {
		ack  []string
		want []state.Alert
	}{
		{nil, []state.Alert{a, b, c}},
		{[]string{"nope"}, []state.Alert{a, b, c}},
		{[]string{"b", "nope"}, []state.Alert{a, c}},
		{[]string{"b"}, []state.Alert{a, c}},
		{[]string{"c", "a"}, nil},
	}
	for _, st := range steps {
		if err := s.Ack(t.Context(), st.ack...); err != nil {
			t.Fatalf("Ack(%q): %v", st.ack, err)
		}
		expect(t, "Outbox after Ack", outbox(t, s, 0), st.want)
	}
}

// testAlertOnce commits an alert id again, while it waits in the outbox and
// after it was parked: neither queues it a second time.
func testAlertOnce(t *testing.T, s state.Store) {
	x, y := alert("x", at(1)), alert("y", at(2))
	queue(t, s, x, y)
	again := alert("x", at(3))
	again.Kind = state.AlertDevice
	put(t, s, "r1", state.Update{Alerts: []state.Alert{again, again}})
	expect(t, "Outbox", outbox(t, s, 0), []state.Alert{x, y})

	if err := s.Park(t.Context(), "y", "rejected"); err != nil {
		t.Fatalf("Park: %v", err)
	}
	queue(t, s, y)
	expect(t, "Outbox after parking", outbox(t, s, 0), []state.Alert{x})
	if got := parked(t, s); len(got) != 1 || got[0].ID != "y" {
		t.Errorf("Parked = %+v, want y once", got)
	}
}

func testRetry(t *testing.T, s state.Store) {
	a, b := alert("a", at(1)), alert("b", at(2))
	queue(t, s, a, b)
	for _, e := range []string{"421 try later", "dial tcp: connection refused"} {
		if err := s.Retry(t.Context(), "a", e); err != nil {
			t.Fatalf("Retry: %v", err)
		}
	}
	if err := s.Retry(t.Context(), "nope", "x"); err != nil {
		t.Errorf("Retry of an unknown id: %v", err)
	}
	a.Attempts, a.LastError = 2, "dial tcp: connection refused"
	expect(t, "Outbox", outbox(t, s, 0), []state.Alert{a, b})
}

func testPark(t *testing.T, s state.Store) {
	a, b, c := alert("a", at(1)), deviceAlert("b", at(2)), alert("c", at(3))
	queue(t, s, a, b, c)
	if err := s.Retry(t.Context(), "c", "421 try later"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	for _, id := range []string{"c", "a", "nope", "a"} {
		if err := s.Park(t.Context(), id, "550 no such user"); err != nil {
			t.Fatalf("Park(%q): %v", id, err)
		}
	}
	a.LastError = "550 no such user"
	c.Attempts, c.LastError = 1, "550 no such user"
	expect(t, "Outbox", outbox(t, s, 0), []state.Alert{b})
	expect(t, "Parked", parked(t, s), []state.Alert{a, c})
	if err := s.Ack(t.Context(), "a"); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	expect(t, "Parked after acking a parked id", parked(t, s), []state.Alert{a, c})
}
