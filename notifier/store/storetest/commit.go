package storetest

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// record is a device record with every field set, times outside UTC.
func record(name string) state.Device {
	l := link(name, "10.0.0.1", "DOWN", at(-30).In(cet))
	l.Pending, l.PendingCount, l.Error = "UP", 1, "no reply"
	return state.Device{
		Name: name, Site: "dc1", LastResult: at(0).In(cet),
		Failure: "TIMEOUT", FailureText: "dial tcp: i/o timeout", FailureSince: at(-5),
		Links: map[string]state.Link{
			"10.0.0.1": l,
			"10.0.0.2": link(name, "10.0.0.2", "UP", at(-60)),
		},
	}
}

func testFirstCommit(t *testing.T, s state.Store) {
	var seen []state.Device
	err := s.Commit(t.Context(), "r1", func(prev state.Device) (state.Update, error) {
		seen = append(seen, prev)
		return state.Update{Device: record("r1")}, nil
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(seen) != 1 {
		t.Fatalf("decide called %d times, want 1", len(seen))
	}
	if seen[0].Links != nil || !same(seen[0], state.Device{}) {
		t.Errorf("first decide got %+v, want the zero Device", seen[0])
	}
	expect(t, "Devices", devices(t, s), []state.Device{record("r1")})
}

func testDecideSeesPrevious(t *testing.T, s state.Store) {
	put(t, s, "r1", state.Update{Device: record("r1")})
	next := record("r1")
	next.Failure, next.FailureText, next.LastResult = "", "", at(5)
	var seen state.Device
	err := s.Commit(t.Context(), "r1", func(prev state.Device) (state.Update, error) {
		seen = prev
		return state.Update{Device: next}, nil
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	expect(t, "decide's previous record", seen, record("r1"))
	expect(t, "Devices", devices(t, s), []state.Device{next})
}

// full is an update that writes to every part of the store.
func full(name string) state.Update {
	c := change(name, "10.0.0.1", "UP", "DOWN", at(1))
	return state.Update{
		Device:  record(name),
		Changes: []state.Change{c},
		Alerts:  []state.Alert{{ID: name + "-1", Kind: state.AlertLink, Created: at(1), Change: &c}},
	}
}

// expectOnly fails the test unless s holds exactly the given record, no
// history beyond changes and no alerts beyond alerts.
func expectOnly(t *testing.T, s state.Store, d state.Device, changes []state.Change, alerts []state.Alert) {
	t.Helper()
	expect(t, "Devices", devices(t, s), []state.Device{d})
	expect(t, "History", history(t, s, d.Name, "", time.Time{}, 0), changes)
	expect(t, "Outbox", outbox(t, s, 0), alerts)
}

func testNoUpdate(t *testing.T, s state.Store) {
	first := full("r1")
	put(t, s, "r1", first)
	err := s.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) {
		upd := full("r1")
		upd.Device.Site, upd.Alerts[0].ID = "dc2", "r1-2"
		return upd, state.ErrNoUpdate
	})
	if err != nil {
		t.Fatalf("Commit with ErrNoUpdate = %v, want nil", err)
	}
	expectOnly(t, s, first.Device, first.Changes, first.Alerts)
}

func testDecideError(t *testing.T, s state.Store) {
	first := full("r1")
	put(t, s, "r1", first)
	boom := errors.New("boom")
	err := s.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) {
		upd := full("r1")
		upd.Device.Site, upd.Alerts[0].ID = "dc2", "r1-2"
		return upd, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Commit = %v, want the error of decide", err)
	}
	expectOnly(t, s, first.Device, first.Changes, first.Alerts)
	err = s.Commit(t.Context(), "r2", func(state.Device) (state.Update, error) {
		return full("r2"), boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Commit on a new device = %v, want the error of decide", err)
	}
	if n := len(devices(t, s)); n != 1 {
		t.Errorf("a failed first commit stored a record: %d devices, want 1", n)
	}
}

// testFailuresStayOwn commits many devices at once, a third of them with
// a decide that fails and a third with one that has nothing to update: each
// commit returns its own outcome, and the others are neither lost nor
// decided again (a store that groups commits must not redo a group for
// one that failed).
func testFailuresStayOwn(t *testing.T, s state.Store) {
	const n = 30
	boom := errors.New("boom")
	var mu sync.Mutex
	calls := map[string]int{}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		name := fmt.Sprintf("r%d", i)
		wg.Go(func() {
			errs[i] = s.Commit(t.Context(), name, func(state.Device) (state.Update, error) {
				mu.Lock()
				calls[name]++
				mu.Unlock()
				switch i % 3 {
				case 0:
					return full(name), fmt.Errorf("decide %s: %w", name, boom)
				case 1:
					return full(name), state.ErrNoUpdate
				}
				return full(name), nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if want := i%3 == 0; errors.Is(err, boom) != want || (!want && err != nil) {
			t.Errorf("Commit of r%d = %v, want the error of its own decide only", i, err)
		}
		if name := fmt.Sprintf("r%d", i); calls[name] != 1 {
			t.Errorf("decide of %s called %d times, want once", name, calls[name])
		}
	}
	if got := len(devices(t, s)); got != n/3 {
		t.Errorf("%d devices stored, want the %d whose decide returned an update", got, n/3)
	}
	if got := len(outbox(t, s, 0)); got != n/3 {
		t.Errorf("%d alerts queued, want the %d of the devices updated", got, n/3)
	}
}

// addLink commits one more link, and its change, to device, keeping every
// link already stored.
func addLink(t *testing.T, s state.Store, device, target string) error {
	return s.Commit(t.Context(), device, func(prev state.Device) (state.Update, error) {
		d := prev
		d.Name, d.Site = device, "dc1"
		d.Links = maps.Clone(prev.Links)
		if d.Links == nil {
			d.Links = map[string]state.Link{}
		}
		d.Links[target] = link(device, target, "UP", at(0))
		return state.Update{Device: d, Changes: []state.Change{change(device, target, "", "UP", at(0))}}, nil
	})
}

// commitAll runs fn(i) for i in [0, n) concurrently and fails the test on
// any error.
func commitAll(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- fn(i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func testConcurrentOneDevice(t *testing.T, s state.Store) {
	const n = 20
	commitAll(t, n, func(i int) error {
		return addLink(t, s, "r1", fmt.Sprintf("10.0.%d.1", i))
	})
	got := devices(t, s)
	if len(got) != 1 || len(got[0].Links) != n {
		t.Fatalf("after %d concurrent commits each adding a link: %+v, want one device with %d links", n, got, n)
	}
	for i := range n {
		if _, ok := got[0].Links[fmt.Sprintf("10.0.%d.1", i)]; !ok {
			t.Errorf("link 10.0.%d.1 lost", i)
		}
	}
	if h := history(t, s, "r1", "", time.Time{}, 0); len(h) != n {
		t.Errorf("history holds %d changes, want %d", len(h), n)
	}
}

func testDevicesIndependent(t *testing.T, s state.Store) {
	const devs, links = 8, 3
	commitAll(t, devs*links, func(i int) error {
		return addLink(t, s, fmt.Sprintf("r%d", i%devs), fmt.Sprintf("10.0.%d.1", i))
	})
	got := devices(t, s)
	if len(got) != devs {
		t.Fatalf("got %d devices, want %d", len(got), devs)
	}
	for _, d := range got {
		for target, l := range d.Links {
			if l.Device != d.Name {
				t.Errorf("device %s holds link %s of %s", d.Name, target, l.Device)
			}
		}
		if len(d.Links) != links {
			t.Errorf("device %s has %d links, want %d", d.Name, len(d.Links), links)
		}
		if h := history(t, s, d.Name, "", time.Time{}, 0); len(h) != links {
			t.Errorf("device %s has %d changes, want %d", d.Name, len(h), links)
		}
	}
}

func testDevicesSorted(t *testing.T, s state.Store) {
	if got := devices(t, s); len(got) != 0 {
		t.Fatalf("empty store lists %+v", got)
	}
	for _, name := range []string{"r3", "r10", "core-b", "r1", "core-a"} {
		put(t, s, name, state.Update{Device: state.Device{Site: "dc1"}})
	}
	var names []string
	for _, d := range devices(t, s) {
		names = append(names, d.Name)
	}
	expect(t, "device names", names, []string{"core-a", "core-b", "r1", "r10", "r3"})
}
