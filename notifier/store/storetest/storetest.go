// Package storetest is the conformance suite of state.Store: one set of
// tests that every implementation (Redis, embedded) must pass.
package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// Run tests the whole state.Store contract. Each call of open must
// return a store over fresh, empty state; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) state.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s state.Store)
	}{
		{"FirstCommitSeesZeroDevice", testFirstCommit},
		{"DecideSeesPrevious", testDecideSeesPrevious},
		{"NoUpdateWritesNothing", testNoUpdate},
		{"DecideErrorWritesNothing", testDecideError},
		{"ConcurrentCommitsOneDevice", testConcurrentOneDevice},
		{"CommitsOnDevicesAreIndependent", testDevicesIndependent},
		{"FailedCommitsStayTheirOwn", testFailuresStayOwn},
		{"DevicesSorted", testDevicesSorted},
		{"DevicesAfter", testDevicesAfter},
		{"History", testHistory},
		{"HistoryKeepsEqualChanges", testHistoryEqualChanges},
		{"HistoryOrderBelowMillisecond", testHistorySubMillisecond},
		{"OutboxOrder", testOutboxOrder},
		{"Ack", testAck},
		{"AlertIDQueuedOnce", testAlertOnce},
		{"Retry", testRetry},
		{"Park", testPark},
		{"CommitSite", testCommitSite},
		{"CommitSiteNothing", testCommitSiteNothing},
		{"SiteAlertQueuedOnce", testSiteAlertOnce},
		{"ConcurrentSiteCommits", testConcurrentSiteCommits},
		{"FleetHistory", testFleetHistory},
		{"Silences", testSilences},
		{"ExpireSilence", testExpireSilence},
		{"PruneSilences", testPruneSilences},
		{"SilenceLimit", testSilenceLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, openClosing(t, open))
		})
	}
}

// openClosing opens a store and closes it, checking the error, at the end
// of the test.
func openClosing(t *testing.T, open func(t *testing.T) state.Store) state.Store {
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// t0 is the fixed time the test data is built around; cet is a location
// other than UTC, which stores may not return times in.
var (
	t0  = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cet = time.FixedZone("CET", 3600)
)

// at returns t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func rtt(ms float64) *float64 { return &ms }

func link(device, target, st string, since time.Time) state.Link {
	return state.Link{
		Device: device, Site: "dc1", Target: target, VRF: "MGMT", State: st,
		Since: since, LastChecked: since.Add(time.Minute),
		Sent: 5, Received: 5, RTTAvgMs: rtt(1.5),
	}
}

func change(device, target, from, to string, when time.Time) state.Change {
	return state.Change{
		Device: device, Site: "dc1", Target: target, VRF: "MGMT", From: from, To: to,
		At: when, PrevSince: when.Add(-time.Hour), Sent: 5, Received: 0,
	}
}

func alert(id string, created time.Time) state.Alert {
	c := change("r1", "10.0.0.1", "UP", "DOWN", created)
	return state.Alert{ID: id, Kind: state.AlertLink, Created: created, Change: &c}
}

// put commits upd for device whatever was stored before.
func put(t *testing.T, s state.Store, device string, upd state.Update) {
	t.Helper()
	if upd.Device.Name == "" {
		upd.Device.Name = device
	}
	err := s.Commit(t.Context(), device, func(state.Device) (state.Update, error) {
		return upd, nil
	})
	if err != nil {
		t.Fatalf("Commit %s: %v", device, err)
	}
}

func devices(t *testing.T, s state.Store) []state.Device {
	t.Helper()
	d, err := s.Devices(t.Context())
	if err != nil {
		t.Fatalf("Devices: %v", err)
	}
	return d
}

func outbox(t *testing.T, s state.Store, limit int) []state.Alert {
	t.Helper()
	a, err := s.Outbox(t.Context(), limit)
	if err != nil {
		t.Fatalf("Outbox(%d): %v", limit, err)
	}
	return a
}

func parked(t *testing.T, s state.Store) []state.Alert {
	t.Helper()
	a, err := s.Parked(t.Context())
	if err != nil {
		t.Fatalf("Parked: %v", err)
	}
	return a
}

func history(t *testing.T, s state.Store, device, target string, since time.Time, limit int) []state.Change {
	t.Helper()
	c, err := s.History(t.Context(), device, target, since, limit)
	if err != nil {
		t.Fatalf("History(%q, %q, %v, %d): %v", device, target, since, limit, err)
	}
	return c
}

// expect fails the test unless got and want are the same, as same decides.
func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if !same(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// same reports whether a and b are deeply equal, with times compared by
// time.Time.Equal (a store may return them in another location and without
// a monotonic clock reading) and nil slices and maps equal to empty ones.
func same(a, b any) bool { return sameValue(reflect.ValueOf(a), reflect.ValueOf(b)) }

func sameValue(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); !bv.IsValid() || !sameValue(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
