// Package simtest serves simulated devices (package sim) for a test, like
// net/http/httptest does for HTTP: from the text of a fleet file, each
// device on a loopback port, closed when the test ends. Only tests and
// benchmarks import it, so the linkwatch binary does not link package
// testing.
package simtest

import (
	"context"
	"testing"

	"github.com/linkwatch/linkwatch/worker/sim"
)

// Start parses fleet, the text of a fleet file, serves its devices and
// closes them when the test ends. A fleet that does not parse or a port
// that cannot be bound fails the test.
func Start(t testing.TB, fleet string) *sim.Server {
	t.Helper()
	f, err := sim.ParseFleet([]byte(fleet))
	if err != nil {
		t.Fatalf("simtest: fleet: %v", err)
	}
	srv, err := sim.Start(context.Background(), f, nil)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}
