package proto

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ExplainNoJetStream names the likely cause of err, from a JetStream
// request over nc, when the server nc is connected to says it has no
// JetStream: nats.go reports it only as "no responders". Through a leaf
// node without JetStream of its own the hub may still answer, so the
// error is explained, not judged: it stays what it was for Transient (a
// hub's link may come back; a server restarted with JetStream is found by
// the next try). Other errors, and errors from a server with JetStream,
// are returned as they are.
func ExplainNoJetStream(nc *nats.Conn, err error) error {
	if err == nil || nc == nil {
		return err
	}
	if !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, jetstream.ErrJetStreamNotEnabled) &&
		!errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return err
	}
	if on, _ := nc.ConnectedServerJetStream(); on {
		return err
	}
	return fmt.Errorf("%w: the NATS server %s has no JetStream, where linkwatch keeps its jobs, results and shared state: "+
		"start nats-server with -js and a store directory (or jetstream {} in its configuration); "+
		"a remote site reaching a hub's JetStream through a leaf node sets nats.jetstream_domain",
		err, nc.ConnectedUrlRedacted())
}
