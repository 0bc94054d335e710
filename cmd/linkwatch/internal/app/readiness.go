package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
	"github.com/linkwatch/linkwatch/worker"
)

// The readiness of each service, the same whether it runs alone or in
// `linkwatch run`: its NATS connection, named by its role, and what it
// needs besides.

// AddScheduler adds the scheduler's checks: its connection, and the jobs
// stream it keeps.
func (h *Health) AddScheduler(nc *nats.Conn, js jetstream.JetStream) {
	h.AddNATS(proto.RoleScheduler, nc)
	h.Add("jobs stream", StreamExists(js, proto.StreamJobs))
}

// AddNotifier adds the notifier's checks: its connection, the results
// stream it keeps, its store, and its mail delivery (failing while the
// mail server cannot be reached).
func (h *Health) AddNotifier(nc *nats.Conn, js jetstream.JetStream, st Store, n *notifier.Notifier) {
	h.AddNATS(proto.RoleNotifier, nc)
	h.Add("results stream", StreamExists(js, proto.StreamResults))
	h.Add("store", st.Ping)
	h.Add("mail", n.MailReady)
}

// AddWorker adds the checks of site's worker w: its connection, and its
// site's job consumer, bound once the jobs stream is there.
func (h *Health) AddWorker(site string, nc *nats.Conn, w *worker.Service) error {
	role, err := proto.WorkerRole(site)
	if err != nil {
		return err
	}
	durable, err := proto.WorkerConsumer(site)
	if err != nil {
		return err
	}
	h.AddNATS(role, nc)
	h.Add("consumer "+durable, func(context.Context) error { return w.Ready() })
	return nil
}

// AddNATSWait adds the check of role's wait for its connection, "nats
// <role>", which the connection's own check (AddNATS) replaces once
// there is one.
func (h *Health) AddNATSWait(role proto.Role, w *backoff.Waiter) {
	h.Add("nats "+string(role), w.Check)
}

// AddNATS adds the check of role's connection nc, "nats <role>".
func (h *Health) AddNATS(role proto.Role, nc *nats.Conn) {
	h.Add("nats "+string(role), NATSConnected(nc))
}

// NATSConnected is the readiness check of a service's NATS connection: it
// fails unless nc is connected. The reason names the connection's status
// and, where there is one, its last error, never its URL.
func NATSConnected(nc *nats.Conn) func(context.Context) error {
	return func(context.Context) error {
		if s := nc.Status(); s != nats.CONNECTED {
			if err := nc.LastError(); err != nil {
				return fmt.Errorf("not connected (%s): %w", s, err)
			}
			return fmt.Errorf("not connected (%s)", s)
		}
		return nil
	}
}

// StreamExists is the readiness check of a stream's keeper: the stream is
// there (its keeper made it at start; something may have deleted it since).
func StreamExists(js jetstream.JetStream, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := js.Stream(ctx, name); err != nil {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				return fmt.Errorf("stream %s not found", name)
			}
			return fmt.Errorf("look up stream %s: %w", name, err)
		}
		return nil
	}
}
