package notifier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// consume keeps the durable consumer on every result subject going until
// ctx ends: it creates it, waiting while NATS or JetStream cannot be
// reached, and creates it again when it stops or is found gone (deleted,
// or lost with the server's store: heartbeats stop coming, and the
// consumer is looked up). It returns nil when ctx ends, and an error only
// when creating the consumer fails for good (a permission refused).
func (n *Notifier) consume(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	commit := startCommitters(ctx, n.cfg.Committers, n.handle)
	defer commit.wait()
	defer cancel()
	// A missing stream is made again by its keeper (app.Keep).
	wait := &backoff.Waiter{What: "the results consumer on NATS", Log: n.log,
		Transient: func(err error) bool { return proto.Transient(err) || errors.Is(err, jetstream.ErrStreamNotFound) }}
	for {
		suspect := make(chan error, 1)
		var (
			cons jetstream.Consumer
			cc   jetstream.ConsumeContext
		)
		err := wait.Do(ctx, func(ctx context.Context) (err error) {
			cons, cc, err = n.startConsume(ctx, suspect, commit)
			return err
		})
		if ctx.Err() != nil {
			if cc != nil {
				cc.Stop()
			}
			return nil
		}
		if err != nil {
			return err
		}
		gone := n.watch(ctx, cons, cc, suspect)
		cc.Stop()
		if gone == nil {
			return nil
		}
		n.log.Warn("the result consumer is gone; creating it again", "err", gone)
	}
}

// watch waits until ctx ends (nil) or the consumer stops or is gone (why).
// A consumer suspected gone (suspect yields) is looked up.
func (n *Notifier) watch(ctx context.Context, cons jetstream.Consumer, cc jetstream.ConsumeContext, suspect <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cc.Closed():
			return errors.New("it stopped")
		case err := <-suspect:
			if consumerGone(err) {
				return err
			}
			ictx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err = cons.Info(ictx)
			cancel()
			if consumerGone(err) {
				return err
			}
		}
	}
}

// startConsume creates the durable consumer and consumes from it, handing
// each result to commit; suspect receives the errors that say the consumer
// may be gone.
func (n *Notifier) startConsume(ctx context.Context, suspect chan<- error, commit *committers) (jetstream.Consumer, jetstream.ConsumeContext, error) {
	cons, err := n.js.CreateOrUpdateConsumer(ctx, proto.StreamResults, jetstream.ConsumerConfig{
		Durable:       proto.NotifierConsumer,
		Description:   "linkwatch notifier: state, history and alerts",
		FilterSubject: proto.ResultsAll,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       n.cfg.AckWait,
		MaxAckPending: 1000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create notifier consumer: %w", err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) { commit.add(ctx, msg) },
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if consumerGone(err) || errors.Is(err, jetstream.ErrNoHeartbeat) {
				select {
				case suspect <- err:
				default:
				}
			}
			if proto.Transient(err) || errors.Is(err, jetstream.ErrNoHeartbeat) {
				n.log.Debug("result consumer", "err", err) // the connection says more
				return
			}
			n.log.Warn("result consumer", "err", err)
		}))
	if err != nil {
		return nil, nil, fmt.Errorf("consume results: %w", err)
	}
	return cons, cc, nil
}

// consumerGone reports whether err means the consumer (or its stream) no
// longer exists, so pulling from it again can never succeed.
func consumerGone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrStreamNotFound)
}

// resultRetry is how long a result that could not be committed waits
// before it is delivered again.
const resultRetry = 2 * time.Second

// handle commits one result and acks it only after the commit.
func (n *Notifier) handle(ctx context.Context, msg jetstream.Msg) {
	var res proto.ProbeResult
	if err := pb.Unmarshal(msg.Data(), &res); err != nil {
		n.log.Error("drop undecodable result", "subject", msg.Subject(), "err", err)
		n.cfg.Metrics.results.WithLabelValues("invalid").Inc()
		_ = msg.Term()
		return
	}
	if err := n.admit(msg.Subject(), msg.Headers(), &res); err != nil {
		n.log.Warn("drop result", "subject", msg.Subject(), "worker", res.GetWorker(), "err", err)
		n.cfg.Metrics.results.WithLabelValues("rejected").Inc()
		_ = msg.Term()
		return
	}
	if err := n.Apply(ctx, &res); err != nil {
		// Said once while commits fail (the store unreachable), not for
		// every result redelivered every resultRetry meanwhile.
		n.commits.Retry(err)
		n.cfg.Metrics.results.WithLabelValues("error").Inc()
		_ = msg.NakWithDelay(resultRetry)
		return
	}
	n.commits.Done()
	if err := msg.Ack(); err != nil {
		n.log.Warn("ack result", "device", res.GetDevice(), "err", err)
	}
}

// Apply commits one result to the store in one atomic step: state, history
// and outbox, each alert once per route it takes (route.Table.Fan). A
// result no newer than the stored one changes nothing. A commit that
// queued alerts wakes the mailer of every notifier (Wake).
func (n *Notifier) Apply(ctx context.Context, res *proto.ProbeResult) error {
	if err := n.ensureSilences(ctx); err != nil {
		return err
	}
	var (
		last  state.Update
		stale bool
	)
	routes := n.cfg.Routes()
	err := n.store.Commit(ctx, res.GetDevice(), func(prev state.Device) (state.Update, error) {
		now := n.cfg.Now()
		u, err := state.Decide(prev, res, n.rules(now), now)
		last, stale = u, errors.Is(err, state.ErrNoUpdate) // the store may call decide again after a conflict
		u.Alerts = routes.Fan(u.Alerts)                    // last keeps them unrouted, for the log
		return u, err
	})
	if err != nil {
		return fmt.Errorf("commit result of %s: %w", res.GetDevice(), err)
	}
	if stale {
		n.cfg.Metrics.results.WithLabelValues("stale").Inc()
		return nil
	}
	n.cfg.Metrics.results.WithLabelValues("applied").Inc()
	for _, c := range last.Changes {
		if c.Target == "" {
			n.log.Info("device reachability changed", "device", c.Device, "site", c.Site, "from", c.From, "to", c.To,
				"failure", c.Failure, "text", c.Error)
			continue
		}
		n.cfg.Metrics.changes.WithLabelValues(c.To).Inc()
		n.log.Info("link state changed", "device", c.Device, "site", c.Site, "target", c.Target, "from", c.From, "to", c.To)
	}
	for _, a := range last.Alerts {
		if a.Kind == state.AlertLink && (a.Change.To == state.Flapping || a.Change.From == state.Flapping) {
			n.log.Info("link flapping", "device", a.Change.Device, "target", a.Change.Target, "from", a.Change.From, "to", a.Change.To)
		}
	}
	if len(last.Alerts) > 0 {
		n.Wake()
	}
	return nil
}
