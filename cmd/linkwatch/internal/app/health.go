package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// CheckTimeout bounds each readiness check of a Health with no Timeout.
const CheckTimeout = 2 * time.Second

// Health is what a process says about itself on /healthz and /readyz
// (served by ServeMetrics): it is alive while it answers, and ready when
// every named check added passes. The zero value has no checks.
type Health struct {
	// Timeout bounds each check (default CheckTimeout).
	Timeout time.Duration

	mu     sync.Mutex
	checks []namedCheck
}

type namedCheck struct {
	name  string
	check func(context.Context) error
}

// Add adds a readiness check: name says what is checked ("nats scheduler",
// "store"), check why it is not ready. The reason is served as it is, so
// it must not hold a secret. A check of the same name is replaced, in its
// place: a service checks its wait for a server (backoff.Waiter.Check)
// until it has a connection to check instead.
func (h *Health) Add(name string, check func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range h.checks {
		if c.name == name {
			h.checks[i].check = check
			return
		}
	}
	h.checks = append(h.checks, namedCheck{name, check})
}

// Check runs every check at once, each within Timeout, and returns one
// error per failing check, "name: reason", in the order they were added.
func (h *Health) Check(ctx context.Context) []error {
	h.mu.Lock()
	checks := slices.Clone(h.checks)
	h.mu.Unlock()
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = CheckTimeout
	}
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if err := c.check(ctx); err != nil {
				errs[i] = fmt.Errorf("%s: %w", c.name, err)
			}
		})
	}
	wg.Wait()
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	return failed
}

// handle serves /healthz (200 "ok" while the process answers) and /readyz
// (200 "ready", or 503 with one line per failing check) on mux.
func (h *Health) handle(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		failed := h.Check(r.Context())
		if len(failed) == 0 {
			fmt.Fprintln(w, "ready")
			return
		}
		lines := make([]string, len(failed))
		for i, err := range failed {
			lines[i] = oneLine(err.Error())
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(lines, "\n"))
	})
}

// oneLine keeps a reason on its line of the /readyz answer.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
