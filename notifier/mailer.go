package notifier

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// idlePoll is how often an idle mailer looks at the outbox on its own (a
// commit wakes it at once; this catches alerts left by an earlier run).
const idlePoll = 5 * time.Second

// mailLoop drains the outbox until ctx ends, while this replica holds
// the mailer lease (always, when l is nil).
func (n *Notifier) mailLoop(ctx context.Context, l *lease) {
	m := mailer{n: n, backoff: time.Second}
	if l != nil {
		defer l.release()
	}
	for {
		wait := leaseRenew
		if l == nil || l.hold(ctx) {
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
	backoff     time.Duration
	nextAttempt time.Time
	lastErr     string
}

// step sends one email if one is due and returns how long to wait before
// the next look.
func (m *mailer) step(ctx context.Context) time.Duration {
	n := m.n
	alerts, err := n.store.Outbox(ctx, 0)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Error("read outbox", "err", err)
		}
		return time.Second
	}
	if len(alerts) == 0 {
		return idlePoll
	}
	now := n.cfg.Now()
	if due := alerts[0].Created.Add(n.cfg.GroupWait); now.Before(due) {
		return due.Sub(now)
	}
	if now.Before(m.nextAttempt) {
		return m.nextAttempt.Sub(now)
	}
	batch := alerts[:min(len(alerts), n.cfg.MaxPerEmail)]
	email := Render(batch, n.cfg.From, n.cfg.To, n.cfg.Location)
	err = n.sender.Send(ctx, email)
	if err == nil {
		m.delivered(ctx, batch, email.Subject)
		return 0
	}
	if ctx.Err() != nil {
		return time.Second
	}
	if IsPermanent(err) {
		m.park(ctx, batch, err)
		return 0
	}
	return m.retry(ctx, batch, err)
}

func (m *mailer) delivered(ctx context.Context, batch []Alert, subject string) {
	ids := alertIDs(batch)
	if err := m.n.store.Ack(ctx, ids...); err != nil {
		// The email went out; the alerts stay and would be sent again.
		m.n.log.Error("remove sent alerts from outbox", "alerts", len(ids), "err", err)
		return
	}
	if m.lastErr != "" {
		m.n.log.Info("mail delivery recovered")
	}
	m.backoff, m.nextAttempt, m.lastErr = time.Second, time.Time{}, ""
	m.n.log.Info("alert email sent", "subject", subject, "alerts", len(ids))
}

func (m *mailer) park(ctx context.Context, batch []Alert, err error) {
	m.n.log.Error("alert email refused permanently; alerts parked for inspection", "alerts", len(batch), "err", err)
	for _, a := range batch {
		if perr := m.n.store.Park(ctx, a.ID, err.Error()); perr != nil {
			m.n.log.Error("park alert", "id", a.ID, "err", perr)
		}
	}
}

// retry records a temporary failure and backs off with jitter, logging
// only when the error changes.
func (m *mailer) retry(ctx context.Context, batch []Alert, err error) time.Duration {
	if msg := err.Error(); msg != m.lastErr {
		m.n.log.Warn("alert email not delivered; will retry", "alerts", len(batch), "err", err)
		m.lastErr = msg
	}
	for _, a := range batch {
		if rerr := m.n.store.Retry(ctx, a.ID, err.Error()); rerr != nil {
			m.n.log.Error("record delivery attempt", "id", a.ID, "err", rerr)
		}
	}
	wait := m.backoff/2 + rand.N(m.backoff/2+1)
	m.nextAttempt = m.n.cfg.Now().Add(wait)
	m.backoff = min(m.backoff*2, m.n.cfg.MaxBackoff)
	return wait
}

func alertIDs(as []Alert) []string {
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
	m := mailer{n: n, backoff: time.Second}
	for {
		alerts, err := n.store.Outbox(ctx, n.cfg.MaxPerEmail)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(alerts) == 0 {
			return nil
		}
		email := Render(alerts, n.cfg.From, n.cfg.To, n.cfg.Location)
		if err := n.sender.Send(ctx, email); err != nil {
			if IsPermanent(err) {
				m.park(ctx, alerts, err)
			} else {
				m.retry(ctx, alerts, err)
			}
			return fmt.Errorf("send alert email: %w", err)
		}
		m.delivered(ctx, alerts, email.Subject)
	}
}
