// Package localnatstest runs embedded NATS servers with JetStream
// (localnats) for tests, like net/http/httptest does for HTTP: on a random
// loopback port, with the store in the test's temporary directory, shut
// down when the test ends. Only tests import it, so the linkwatch binary
// does not link package testing.
package localnatstest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto/localnats"
)

// Start starts a server on a random loopback port with its store in a test
// temporary directory, and shuts it down when the test ends.
func Start(t testing.TB) *localnats.Server {
	t.Helper()
	s, err := localnats.Start(localnats.Options{Port: -1, StoreDir: t.TempDir(), Name: "localnats-test"})
	if err != nil {
		t.Fatalf("localnats: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// StartOn starts a server on the loopback port given, with its store in
// storeDir, and shuts it down when the test ends (Shutdown may come
// first). A test chooses the port in advance to point a service at a
// server that is not there yet, and starts it again on the same port and
// store to restart it.
func StartOn(t testing.TB, port int, storeDir string) *localnats.Server {
	t.Helper()
	s, err := localnats.Start(localnats.Options{Port: port, StoreDir: storeDir, Name: "localnats-test"})
	if err != nil {
		t.Fatalf("localnats on port %d: %v", port, err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// Connect connects a client to s for a test, closed when the test ends,
// and returns it with its JetStream context.
func Connect(t testing.TB, s *localnats.Server) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("localnats: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("localnats: jetstream: %v", err)
	}
	return nc, js
}

// JetStream starts a server for a test and returns a connected client's
// JetStream context.
func JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	_, js := Connect(t, Start(t))
	return js
}
