package notifier

import (
	"context"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch/notifier/render"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// idlePoll is how often an idle mailer looks at the outbox on its own (a
// commit wakes it at once; this catches alerts left by an earlier run).
const idlePoll = 5 * time.Second

// mailLoop drains the outbox until ctx ends, while this replica holds
// the mailer lease (always, when l is nil).
func (n *Notifier) mailLoop(ctx context.Context, l *lease) {
	m := newMailer(n, l)
	if l != nil {
		defer l.release()
	}
	defer m.flushUnacked(ctx)
	for {
		wait := leaseRenew
		leader := l == nil || l.hold(ctx)
		n.cfg.Metrics.leader.Set(oneIf(leader))
		if !leader {
			n.cfg.Metrics.outbox.Set(0) // the leader reports it
		}
		if leader {
			wait = m.step(ctx)
			if l != nil {
				wait = min(wait, leaseRenew)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-n.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// mailer holds the delivery state between attempts.
type mailer struct {
	n           *Notifier
	lease       *lease          // nil: the only mailer
	retry       backoff.Backoff // after a temporary failure
	nextAttempt time.Time
	lastErr     string
	// unacked are alerts already emailed whose removal from the outbox
	// failed: nothing is sent until they are removed, or they would go
	// out again.
	unacked []string
}

// newMailer returns the mailer of n, holding lease l (nil: none). Retries
// wait 1s at first, then longer, up to MaxBackoff.
func newMailer(n *Notifier, l *lease) mailer {
	return mailer{n: n, lease: l, retry: backoff.Backoff{Initial: time.Second, Max: n.cfg.MaxBackoff}}
}

// step sends one email if one is due and returns how long to wait before
// the next look.
func (m *mailer) step(ctx context.Context) time.Duration {
	n := m.n
	now := n.cfg.Now()
	if now.Before(m.nextAttempt) {
		return m.nextAttempt.Sub(now)
	}
	if len(m.unacked) > 0 {
		if err := n.store.Ack(ctx, m.unacked...); err != nil {
			return m.backOff(fmt.Errorf("remove sent alerts from outbox: %w", err))
		}
		m.unacked = nil
	}
	alerts, err := n.store.Outbox(ctx, 0)
	if err != nil {
		return m.backOff(fmt.Errorf("read outbox: %w", err))
	}
	n.cfg.Metrics.outbox.Set(float64(len(alerts)))
	if len(alerts) == 0 {
		return idlePoll
	}
	if due := alerts[0].Created.Add(n.cfg.GroupWait); now.Before(due) {
		return due.Sub(now)
	}
	batch := alerts[:min(len(alerts), n.cfg.MaxPerEmail)]
	email := render.Alerts(batch, n.cfg.From, n.cfg.To, n.cfg.Location)
	err = m.send(ctx, email)
	switch {
	case err == nil:
		n.cfg.Metrics.emails.WithLabelValues("sent").Inc()
		if err := m.delivered(ctx, batch, email.Subject); err != nil {
			return m.backOff(err)
		}
		return 0
	case ctx.Err() != nil:
		return time.Second
	case IsPermanent(err):
		n.cfg.Metrics.emails.WithLabelValues("permanent").Inc()
		m.park(ctx, batch, err)
		return 0
	default:
		n.cfg.Metrics.emails.WithLabelValues("temporary").Inc()
		m.record(ctx, batch, err)
		return m.backOff(fmt.Errorf("alert email not delivered: %w", err))
	}
}

// send delivers e, renewing the mailer lease while the SMTP conversation
// lasts. A send is not interrupted when a renewal fails: cutting an SMTP
// session after DATA was accepted would make the alerts go out twice.
func (m *mailer) send(ctx context.Context, e render.Email) error {
	if m.lease == nil {
		return m.n.sender.Send(ctx, e)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaseRenew)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m.lease.hold(ctx)
			}
		}
	}()
	err := m.n.sender.Send(ctx, e)
	close(stop)
	<-done
	return err
}

// flushUnacked makes a last attempt, at shutdown, to remove alerts that
// were sent but are still in the outbox, before the lease is released.
func (m *mailer) flushUnacked(ctx context.Context) {
	if len(m.unacked) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := m.n.store.Ack(ctx, m.unacked...); err != nil {
		m.n.log.Error("remove sent alerts from outbox at shutdown; they may be sent again", "alerts", len(m.unacked), "err", err)
	}
}

// delivered removes sent alerts from the outbox. When that fails, it
// remembers them so that they are removed, not sent, next time.
func (m *mailer) delivered(ctx context.Context, batch []state.Alert, subject string) error {
	ids := alertIDs(batch)
	m.n.log.Info("alert email sent", "subject", subject, "alerts", len(ids))
	// The email is out: remove its alerts even when shutting down.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.n.store.Ack(ctx, ids...); err != nil {
		m.unacked = ids
		return fmt.Errorf("remove sent alerts from outbox: %w", err)
	}
	if m.lastErr != "" {
		m.n.log.Info("mail delivery recovered")
	}
	m.retry.Reset()
	m.nextAttempt, m.lastErr = time.Time{}, ""
	return nil
}

func (m *mailer) park(ctx context.Context, batch []state.Alert, err error) {
	m.n.log.Error("alert email refused permanently; alerts parked for inspection", "alerts", len(batch), "err", err)
	for _, a := range batch {
		if perr := m.n.store.Park(ctx, a.ID, err.Error()); perr != nil {
			m.n.log.Error("park alert", "id", a.ID, "err", perr)
		}
	}
}

// record notes a failed delivery attempt on each alert.
func (m *mailer) record(ctx context.Context, batch []state.Alert, err error) {
	for _, a := range batch {
		if rerr := m.n.store.Retry(ctx, a.ID, err.Error()); rerr != nil {
			m.n.log.Error("record delivery attempt", "id", a.ID, "err", rerr)
		}
	}
}

// backOff waits with jittered exponential backoff after a temporary
// failure, logging only when the error changes.
func (m *mailer) backOff(err error) time.Duration {
	if msg := err.Error(); msg != m.lastErr {
		m.n.log.Warn("mailer: will retry", "err", err)
		m.lastErr = msg
	}
	wait := m.retry.Next()
	m.nextAttempt = m.n.cfg.Now().Add(wait)
	return wait
}

func alertIDs(as []state.Alert) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

// Flush sends every alert in the outbox now, ignoring group_wait, as one
// cron-style run does before it exits. Alerts that could not be sent stay
// in the outbox (or are parked, for a permanent failure) and the error is
// returned.
func (n *Notifier) Flush(ctx context.Context) error {
	m := newMailer(n, nil)
	for {
		alerts, err := n.store.Outbox(ctx, n.cfg.MaxPerEmail)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(alerts) == 0 {
			return nil
		}
		email := render.Alerts(alerts, n.cfg.From, n.cfg.To, n.cfg.Location)
		if err := n.sender.Send(ctx, email); err != nil {
			if IsPermanent(err) {
				m.park(ctx, alerts, err)
			} else {
				m.record(ctx, alerts, err)
			}
			return fmt.Errorf("send alert email: %w", err)
		}
		if err := m.delivered(ctx, alerts, email.Subject); err != nil {
			return err
		}
	}
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
