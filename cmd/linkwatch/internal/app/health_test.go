package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

func TestHealthEndpoints(t *testing.T) {
	pass := func(context.Context) error { return nil }
	fail := func(msg string) func(context.Context) error {
		return func(context.Context) error { return errors.New(msg) }
	}
	// hang waits for the check's deadline, as a server that never answers.
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	type check struct {
		name string
		fn   func(context.Context) error
	}
	for _, tc := range []struct {
		name   string
		checks []check
		code   int
		body   string
	}{
		{"no checks", nil, 200, "ready\n"},
		{"all pass", []check{{"nats scheduler", pass}, {"store", pass}}, 200, "ready\n"},
		{"one fails", []check{{"nats scheduler", pass}, {"store", fail("ping redis: connection refused")}}, 503,
			"store: ping redis: connection refused\n"},
		{"each failure on one line, in the order added",
			[]check{{"consumer worker-dc1", fail("not bound yet:\nstream not found")}, {"ok", pass}, {"nats worker-dc1", fail("not connected (RECONNECTING)")}},
			503, "consumer worker-dc1: not bound yet: stream not found\nnats worker-dc1: not connected (RECONNECTING)\n"},
		{"a check past its deadline", []check{{"store", hang}}, 503, "store: context deadline exceeded\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Health{Timeout: 50 * time.Millisecond}
			for _, c := range tc.checks {
				h.Add(c.name, c.fn)
			}
			mux := http.NewServeMux()
			h.handle(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
				t.Errorf("/healthz = %d %q, want 200 \"ok\\n\" whatever the checks say", code, body)
			}
			if code, body := get(t, srv.URL+"/readyz"); code != tc.code || body != tc.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, tc.code, tc.body)
			}
		})
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestServiceChecks runs the checks of the scheduler against a real
// server: the jobs stream missing, then made; the connection lost.
func TestServiceChecks(t *testing.T) {
	srv := localnatstest.Start(t)
	nc, js := localnatstest.Connect(t, srv)
	h := &Health{}
	h.AddScheduler(nc, js)
	ready := func(want string) func() error {
		return func() error {
			var got []string
			for _, err := range h.Check(t.Context()) {
				got = append(got, err.Error())
			}
			if strings.Join(got, "\n") != want {
				return fmt.Errorf("failing checks %q, want %q", got, want)
			}
			return nil
		}
	}
	if err := ready("jobs stream: stream " + proto.StreamJobs + " not found")(); err != nil {
		t.Error(err)
	}
	if err := proto.EnsureStream(t.Context(), js, proto.StreamJobs, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	if err := ready("")(); err != nil {
		t.Error(err)
	}
	srv.Shutdown()
	waittest.For(t, 10*time.Second, func() error {
		failed := h.Check(t.Context())
		if len(failed) == 0 || !strings.HasPrefix(failed[0].Error(), "nats scheduler: not connected (") {
			return fmt.Errorf("failing checks %q, want nats scheduler not connected first", failed)
		}
		return nil
	})
}
