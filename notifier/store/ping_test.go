package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/store/redistest"
)

// TestPing checks the readiness check of each store: Ping passes while
// the store is open and says why once it is closed.
func TestPing(t *testing.T) {
	type pinger interface {
		Ping(context.Context) error
		Close() error
	}
	for _, tc := range []struct {
		name   string
		open   func(t *testing.T) pinger
		closed string
	}{
		{"embedded", func(t *testing.T) pinger {
			return openEmbedded(t, filepath.Join(t.TempDir(), "state.db"))
		}, "state store: database not open"},
		{"redis", func(t *testing.T) pinger {
			return openRedis(t, redistest.Start(t), redistest.Prefix(t))
		}, "ping redis: redis: client is closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open(t)
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping of an open store: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(t.Context()); err == nil || !strings.Contains(err.Error(), tc.closed) {
				t.Errorf("Ping of a closed store = %v, want %q", err, tc.closed)
			}
		})
	}
}
