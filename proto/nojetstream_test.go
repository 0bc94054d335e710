package proto

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

// A server without JetStream answers no JetStream request: the error
// says so and how to fix it, and stays what it was for the waiters.
func TestExplainNoJetStream(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server without JetStream not ready")
	}
	plain := connect(t, ns.ClientURL())
	js, err := jetstream.New(plain)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, raw := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}})
	if raw == nil {
		t.Fatal("a stream was created on a server without JetStream")
	}
	err = ExplainNoJetStream(plain, raw)
	for _, want := range []string{"has no JetStream", "-js", "nats.jetstream_domain", ns.ClientURL()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("explained error lacks %q: %v", want, err)
		}
	}
	if !errors.Is(err, raw) || Transient(raw) != Transient(err) {
		t.Errorf("explaining changed what the error is: %v (transient %v, was %v)", err, Transient(err), Transient(raw))
	}

	// With JetStream on, a request nobody answers is not blamed on it.
	withJS := localnatstest.Start(t)
	nc := connect(t, withJS.ClientURL())
	if got := ExplainNoJetStream(nc, nats.ErrNoResponders); got != nats.ErrNoResponders {
		t.Errorf("server with JetStream: %v", got)
	}
	// Other errors pass as they are.
	other := errors.New("permission violation")
	if got := ExplainNoJetStream(plain, other); got != other {
		t.Errorf("other error: %v", got)
	}
	if ExplainNoJetStream(plain, nil) != nil {
		t.Error("nil error explained")
	}
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}
