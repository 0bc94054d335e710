package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/notifier/store/storetest"
)

func openRedis(t *testing.T, url, prefix string) *store.Redis {
	t.Helper()
	s, err := store.OpenRedis(t.Context(), url, prefix)
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	return s
}

// TestRedis runs the suite on one server; a key prefix per store keeps the
// subtests apart.
func TestRedis(t *testing.T) {
	url := redistest.Start(t)
	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) state.Store {
			return openRedis(t, url, redistest.Prefix(t))
		})
	})
	t.Run("Persistence", func(t *testing.T) {
		storetest.RunPersistence(t, func(t *testing.T) (state.Store, func() state.Store) {
			prefix := redistest.Prefix(t)
			return openRedis(t, url, prefix), func() state.Store { return openRedis(t, url, prefix) }
		})
	})
	t.Run("PrefixKeepsStoresApart", func(t *testing.T) { testRedisPrefix(t, url) })
	t.Run("CommitLeavesNoWatch", func(t *testing.T) { testRedisNoWatchLeft(t, url) })
}

// testRedisNoWatchLeft commits nothing to r1 (its decide has nothing to
// update, so no EXEC ends the watch), has another client change r1, then
// commits r2 on the same connection (the pool hands back the last one
// used): a watch left on r1 would make r2's commit start over.
func testRedisNoWatchLeft(t *testing.T, url string) {
	prefix := redistest.Prefix(t)
	s, other := openRedis(t, url, prefix), openRedis(t, url, prefix)
	defer s.Close()
	defer other.Close()
	write := func(st state.Store, device string, calls *int) {
		t.Helper()
		err := st.Commit(t.Context(), device, func(prev state.Device) (state.Update, error) {
			*calls++
			return state.Update{Device: state.Device{Site: "dc1", LastResult: prev.LastResult.Add(time.Minute)}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var calls int
	write(s, "r1", &calls)
	err := s.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) { return state.Update{}, state.ErrNoUpdate })
	if err != nil {
		t.Fatal(err)
	}
	write(other, "r1", &calls)
	calls = 0
	write(s, "r2", &calls)
	if calls != 1 {
		t.Errorf("decide of r2 called %d times, want once: a watch outlived its commit", calls)
	}
}

func testRedisPrefix(t *testing.T, url string) {
	a, b := openRedis(t, url, "a:"), openRedis(t, url, "b:")
	defer a.Close()
	defer b.Close()
	err := a.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) {
		return state.Update{
			Device:  state.Device{Site: "dc1"},
			Changes: []state.Change{{Device: "r1", Target: "10.0.0.1", To: "UP"}},
			Alerts:  []state.Alert{{ID: "r1-1", Kind: state.AlertLink}},
		}, nil
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	for _, s := range []struct {
		name  string
		store *store.Redis
		want  int
	}{{"a:", a, 1}, {"b:", b, 0}} {
		ds, err := s.store.Devices(t.Context())
		if err != nil {
			t.Fatalf("Devices: %v", err)
		}
		out, err := s.store.Outbox(t.Context(), 0)
		if err != nil {
			t.Fatalf("Outbox: %v", err)
		}
		hist, err := s.store.History(t.Context(), "r1", "", time.Time{}, 0)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		if len(ds) != s.want || len(out) != s.want || len(hist) != s.want {
			t.Errorf("store %s: %d devices, %d alerts, %d changes; want %d each", s.name, len(ds), len(out), len(hist), s.want)
		}
	}
}

// TestOpenRedisErrors checks that a failed open names the server but never
// its password.
func TestOpenRedisErrors(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"redis://lw:s3cret@127.0.0.1:1/0?max_retries=-1", "connect to redis redis://lw:xxxxx@127.0.0.1:1/0?max_retries=-1: "},
		{"redis://lw:s3cret@127.0.0.1:6379/x", "parse redis url redis://lw:xxxxx@127.0.0.1:6379/x: "},
		{"redis://lw:s3cret@127.0.0.1:port/0", "parse redis url (unparsable URL): "},
		{"http://lw:s3cret@127.0.0.1/0", "parse redis url http://lw:xxxxx@127.0.0.1/0: "},
	}
	for _, tc := range tests {
		_, err := store.OpenRedis(context.Background(), tc.url, "")
		if err == nil {
			t.Errorf("OpenRedis(%q) succeeded", tc.url)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("OpenRedis(%q) = %q, want it to start with %q and hide the password", tc.url, err, tc.want)
		}
	}
}
