package storetest

import (
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// RunPersistence tests that state survives closing a store and opening it
// again. open returns a store over fresh state and reopen, which opens the
// same state again after the store was closed. The suite closes both.
func RunPersistence(t *testing.T, open func(t *testing.T) (s state.Store, reopen func() state.Store)) {
	s, reopen := open(t)
	upd := full("r1")
	upd.Alerts = append(upd.Alerts, deviceAlert("r1-2", at(2)), alert("r1-3", at(3)))
	put(t, s, "r1", upd)
	put(t, s, "r2", full("r2"))
	if err := s.Retry(t.Context(), "r1-1", "421 try later"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if err := s.Park(t.Context(), "r1-2", "550 no such user"); err != nil {
		t.Fatalf("Park: %v", err)
	}
	if err := s.Ack(t.Context(), "r2-1"); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	wantDevices, wantOutbox, wantParked := devices(t, s), outbox(t, s, 0), parked(t, s)
	wantHistory := history(t, s, "r1", "", time.Time{}, 0)
	if len(wantDevices) != 2 || len(wantOutbox) != 2 || len(wantParked) != 1 || len(wantHistory) != 1 {
		t.Fatalf("before closing: %d devices, %d in outbox, %d parked, %d changes; want 2, 2, 1, 1",
			len(wantDevices), len(wantOutbox), len(wantParked), len(wantHistory))
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = reopen()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close after reopening: %v", err)
		}
	})
	expect(t, "Devices after reopening", devices(t, s), wantDevices)
	expect(t, "History after reopening", history(t, s, "r1", "", time.Time{}, 0), wantHistory)
	expect(t, "Outbox after reopening", outbox(t, s, 0), wantOutbox)
	expect(t, "Parked after reopening", parked(t, s), wantParked)
	var seen state.Device
	err := s.Commit(t.Context(), "r1", func(prev state.Device) (state.Update, error) {
		seen = prev
		return state.Update{}, state.ErrNoUpdate
	})
	if err != nil {
		t.Fatalf("Commit after reopening: %v", err)
	}
	expect(t, "decide's previous record after reopening", seen, upd.Device)
}
