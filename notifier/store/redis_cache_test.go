package store_test

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
)

// The Redis store decides on the record it wrote last without reading it
// again; these tests check that every such commit still sees what others
// did to the device on the server.

var cacheT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// writeAs commits to device a record by worker, one minute after the
// stored one, keeping its links and adding target's; it returns the
// record decide was given.
func writeAs(t *testing.T, s state.Store, device, worker, target string) state.Device {
	t.Helper()
	var seen state.Device
	err := s.Commit(t.Context(), device, func(prev state.Device) (state.Update, error) {
		seen = prev
		return nextRecord(prev, device, worker, target), nil
	})
	if err != nil {
		t.Fatalf("commit of %s by %s: %v", device, worker, err)
	}
	return seen
}

// nextRecord is prev one minute later, written by worker, with target's
// link added.
func nextRecord(prev state.Device, device, worker, target string) state.Update {
	d := prev.Clone()
	d.Name, d.Site, d.Worker = device, "dc1", worker
	d.LastResult = cacheT0
	if !prev.LastResult.IsZero() {
		d.LastResult = prev.LastResult.Add(time.Minute)
	}
	if d.Links == nil {
		d.Links = map[string]state.Link{}
	}
	d.Links[target] = state.Link{Device: device, Site: "dc1", Target: target, State: state.Up, Since: d.LastResult, LastChecked: d.LastResult}
	return state.Update{Device: d}
}

func storedRecord(t *testing.T, s state.Store, device string) state.Device {
	t.Helper()
	devs, err := s.DevicesAfter(t.Context(), "", 0)
	if err != nil {
		t.Fatalf("DevicesAfter: %v", err)
	}
	for _, d := range devs {
		if d.Name == device {
			return d
		}
	}
	t.Fatalf("no record of %s among %d devices", device, len(devs))
	return state.Device{}
}

// TestRedisCacheSeesOtherWrites has another notifier write a device
// between two commits of ours, whatever our second commit writes: our
// decide must be given the other's record, and what we write must be
// decided on it.
func TestRedisCacheSeesOtherWrites(t *testing.T) {
	url := redistest.Start(t)
	boom := errors.New("boom")
	tests := []struct {
		name string
		// decide returns our second update from the record it is given.
		decide func(prev state.Device) (state.Update, error)
		// want is the worker of the stored record after it.
		want string
		err  error
	}{
		{"record only", func(prev state.Device) (state.Update, error) {
			return nextRecord(prev, "r1", "ours", "10.0.0.3"), nil
		}, "ours", nil},
		{"with a change and an alert", func(prev state.Device) (state.Update, error) {
			u := nextRecord(prev, "r1", "ours", "10.0.0.3")
			u.Changes = []state.Change{{Device: "r1", Site: "dc1", Target: "10.0.0.3", To: state.Up, At: u.Device.LastResult}}
			u.Alerts = []state.Alert{{ID: "r1|10.0.0.3|UP", Kind: state.AlertLink, Created: u.Device.LastResult}}
			return u, nil
		}, "ours", nil},
		{"nothing to update", func(state.Device) (state.Update, error) {
			return state.Update{}, state.ErrNoUpdate
		}, "theirs", nil},
		{"decide fails", func(state.Device) (state.Update, error) {
			return state.Update{}, boom
		}, "theirs", boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := redistest.Prefix(t)
			ours, theirs := openRedis(t, url, prefix), openRedis(t, url, prefix)
			defer ours.Close()
			defer theirs.Close()
			writeAs(t, ours, "r1", "ours", "10.0.0.1")
			writeAs(t, theirs, "r1", "theirs", "10.0.0.2")
			var seen []state.Device
			err := ours.Commit(t.Context(), "r1", func(prev state.Device) (state.Update, error) {
				seen = append(seen, prev.Clone())
				return tc.decide(prev)
			})
			if !errors.Is(err, tc.err) {
				t.Fatalf("Commit = %v, want %v", err, tc.err)
			}
			if len(seen) == 0 || seen[len(seen)-1].Worker != "theirs" || len(seen[len(seen)-1].Links) != 2 {
				t.Fatalf("decide last given %+v, want the other notifier's record with 2 links", seen)
			}
			got := storedRecord(t, theirs, "r1")
			if got.Worker != tc.want {
				t.Errorf("stored record written by %q, want %q", got.Worker, tc.want)
			}
			if tc.want == "ours" && (len(got.Links) != 3 || !got.LastResult.Equal(cacheT0.Add(2*time.Minute))) {
				t.Errorf("stored %d links checked at %v, want 3 links at %v: not decided on the other's record",
					len(got.Links), got.LastResult, cacheT0.Add(2*time.Minute))
			}
			// And the other notifier sees ours in turn.
			if seen := writeAs(t, theirs, "r1", "theirs", "10.0.0.4"); seen.Worker != tc.want {
				t.Errorf("the other notifier was given a record by %q, want %q", seen.Worker, tc.want)
			}
		})
	}
}

// TestRedisCacheOneRoundTrip checks that a commit that only writes the
// record of a device this store wrote last is one call of a loaded
// script: no WATCH, no transaction.
func TestRedisCacheOneRoundTrip(t *testing.T) {
	url := redistest.Start(t)
	s := openRedis(t, url, redistest.Prefix(t))
	defer s.Close()
	admin := adminClient(t, url)
	writeAs(t, s, "r1", "ours", "10.0.0.1")
	writeAs(t, s, "r1", "ours", "10.0.0.2") // loads the script
	if err := admin.ConfigResetStat(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	if seen := writeAs(t, s, "r1", "ours", "10.0.0.3"); len(seen.Links) != 2 {
		t.Fatalf("decide given %+v, want the record written before", seen)
	}
	stats, err := admin.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := func(cmd string) int {
		for line := range strings.Lines(stats) {
			if rest, ok := strings.CutPrefix(line, "cmdstat_"+cmd+":calls="); ok {
				n, _, _ := strings.Cut(rest, ",")
				v, _ := strconv.Atoi(n)
				return v
			}
		}
		return 0
	}
	// The script's own GET and SET count too.
	if w, m, e, ev := calls("watch"), calls("multi"), calls("evalsha"), calls("eval"); w != 0 || m != 0 || e != 1 || ev != 0 {
		t.Errorf("third commit: %d WATCH, %d MULTI, %d EVALSHA, %d EVAL; want one EVALSHA only\n%s", w, m, e, ev, stats)
	}
}

// TestRedisCacheSeesFlush empties the server between two commits: the
// second must be given no record, as on a server that never held one.
func TestRedisCacheSeesFlush(t *testing.T) {
	url := redistest.Start(t)
	s := openRedis(t, url, redistest.Prefix(t))
	defer s.Close()
	writeAs(t, s, "r1", "ours", "10.0.0.1")
	if err := adminClient(t, url).FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	if seen := writeAs(t, s, "r1", "ours", "10.0.0.2"); seen.Worker != "" || seen.Links != nil {
		t.Fatalf("after a flush decide was given %+v, want no record", seen)
	}
	if got := storedRecord(t, s, "r1"); len(got.Links) != 1 || !got.LastResult.Equal(cacheT0) {
		t.Errorf("stored %+v, want a first record with one link", got)
	}
}

// TestRedisCacheSeesRestart restarts the server (it keeps nothing) on the
// same port between two commits of one store: the second must be given
// no record, and must work although the server forgot the store's
// script too.
func TestRedisCacheSeesRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var s *store.Redis
	t.Run("first server", func(t *testing.T) {
		s, err = store.OpenRedis(t.Context(), redistest.Start(t, redistest.Port(port)), "lw:")
		if err != nil {
			t.Fatal(err)
		}
		writeAs(t, s, "r1", "ours", "10.0.0.1")
		writeAs(t, s, "r1", "ours", "10.0.0.2") // the script is loaded now
	})
	if s == nil {
		t.FailNow()
	}
	defer s.Close()
	redistest.Start(t, redistest.Port(port))
	if seen := writeAs(t, s, "r1", "ours", "10.0.0.3"); seen.Worker != "" || seen.Links != nil {
		t.Fatalf("after a restart decide was given %+v, want no record", seen)
	}
	if seen := writeAs(t, s, "r1", "ours", "10.0.0.4"); len(seen.Links) != 1 {
		t.Fatalf("second commit after a restart was given %+v, want the record of the first", seen)
	}
	if got := storedRecord(t, s, "r1"); len(got.Links) != 2 {
		t.Errorf("stored %+v, want 2 links", got)
	}
}

// adminClient is a plain client of the server at url, closed with the
// test.
func adminClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRedisCacheConcurrent commits many cached devices at once (their
// checks go to the server together), every third written by another
// notifier just before: each commit must get its own answer, those
// written elsewhere their writer's record and the others their own.
func TestRedisCacheConcurrent(t *testing.T) {
	url := redistest.Start(t)
	prefix := redistest.Prefix(t)
	ours, theirs := openRedis(t, url, prefix), openRedis(t, url, prefix)
	defer ours.Close()
	defer theirs.Close()
	const n = 50
	name := func(i int) string { return "r" + strconv.Itoa(i) }
	for i := range n {
		writeAs(t, ours, name(i), "ours", "10.0.0.1")
	}
	writeAs(t, ours, name(1), "ours", "10.0.0.1") // loads the script
	for i := 2; i < n; i += 3 {
		writeAs(t, theirs, name(i), "theirs", "10.0.0.2")
	}
	seen := make([]state.Device, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := ours.Commit(t.Context(), name(i), func(prev state.Device) (state.Update, error) {
				seen[i] = prev
				return nextRecord(prev, name(i), "ours", "10.0.0.3"), nil
			})
			if err != nil {
				t.Errorf("commit of %s: %v", name(i), err)
			}
		})
	}
	wg.Wait()
	for i, d := range seen {
		want, links := "ours", 1
		if i%3 == 2 {
			want, links = "theirs", 2
		}
		if d.Name != name(i) || d.Worker != want || len(d.Links) != links {
			t.Errorf("decide of %s given %s's record by %q with %d links, want %s's by %q with %d",
				name(i), d.Name, d.Worker, len(d.Links), name(i), want, links)
		}
		if got := storedRecord(t, theirs, name(i)); len(got.Links) != links+1 {
			t.Errorf("%s stored with %d links, want %d", name(i), len(got.Links), links+1)
		}
	}
}
