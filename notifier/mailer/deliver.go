package mailer

import (
	"context"
	"fmt"
	"time"

	"github.com/linkwatch/linkwatch/notifier/render"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// drain is one pass of a mailer over the outbox, Run's or Flush's: the
// delivery state kept between attempts.
type drain struct {
	m           *Mailer
	lease       *Lease // nil: the only mailer
	nextAttempt time.Time
	// unacked are alerts already emailed whose removal from the outbox
	// failed: nothing is sent until they are removed, or they would go
	// out again.
	unacked []string
	// settling is the first alert of the batch that is settling, since
	// settleFrom.
	settling   string
	settleFrom time.Time
}

// newDrain starts a pass holding lease (nil: none). Retries after a
// temporary failure are the mailer's delivery wait's.
func (m *Mailer) newDrain(lease *Lease) *drain {
	return &drain{m: m, lease: lease}
}

// step sends one email if one is due and returns how long to wait before
// the next look.
func (d *drain) step(ctx context.Context) time.Duration {
	m := d.m
	now := m.cfg.Now()
	if now.Before(d.nextAttempt) {
		return d.nextAttempt.Sub(now)
	}
	if len(d.unacked) > 0 {
		if err := m.outbox.Ack(ctx, d.unacked...); err != nil {
			return d.backOff(m.store, fmt.Errorf("remove sent alerts from outbox: %w", err))
		}
		d.unacked = nil
	}
	alerts, err := m.outbox.Outbox(ctx, 0)
	if err != nil {
		return d.backOff(m.store, fmt.Errorf("read outbox: %w", err))
	}
	m.store.Done()
	m.cfg.Metrics.sawOutbox(alerts, m.cfg.Now)
	if len(alerts) == 0 {
		return m.cfg.IdlePoll
	}
	batch, wait := nextBatch(alerts, now, m.cfg.GroupWait, m.cfg.MaxPerEmail)
	if batch == nil {
		return wait
	}
	if wait := d.settled(batch[0].ID); wait > 0 {
		return wait
	}
	err = d.deliver(ctx, batch)
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		return time.Second
	case IsPermanent(err):
		return 0 // parked: on to the next alerts
	case len(d.unacked) > 0: // sent; removing its alerts failed
		return d.backOff(m.store, err)
	default:
		return d.backOff(m.smtp, err)
	}
}

// settled reports how long the batch that starts with the alert first
// must still settle (see settle): it is read again from the outbox then.
func (d *drain) settled(first string) time.Duration {
	if d.settling != first {
		d.settling, d.settleFrom = first, time.Now()
	}
	return settle - time.Since(d.settleFrom)
}

// deliver sends batch, alerts of one route, as one email to the route's
// recipients in force and settles its alerts: removed from
// the outbox once the server accepted the message, parked when it was
// refused permanently, else each marked with the failed attempt. An
// attempt cut short by ctx ending is not held against the alerts. The
// error, when the send failed, is permanent if the failure was.
func (d *drain) deliver(ctx context.Context, batch []state.Alert) error {
	m := d.m
	email := render.Alerts(batch, m.cfg.From, m.recipients(batch[0].Route), m.cfg.Location)
	err := d.send(ctx, email)
	switch {
	case err == nil:
		m.cfg.Metrics.emails.WithLabelValues("sent").Inc()
		m.smtp.Done()
		return d.delivered(ctx, batch, email)
	case ctx.Err() != nil:
	case IsPermanent(err):
		m.cfg.Metrics.emails.WithLabelValues("permanent").Inc()
		m.smtp.Done() // the server answered: nothing to wait for
		d.park(ctx, batch, err)
	default:
		m.cfg.Metrics.emails.WithLabelValues("temporary").Inc()
		d.record(ctx, batch, err)
	}
	return fmt.Errorf("send alert email: %w", err)
}

// send delivers e, renewing the mailer lease while the SMTP conversation
// lasts. A send is not interrupted when a renewal fails: cutting an SMTP
// session after DATA was accepted would make the alerts go out twice.
func (d *drain) send(ctx context.Context, e render.Email) error {
	if d.lease == nil {
		return d.m.sender.Send(ctx, e)
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
				d.lease.hold(ctx)
			}
		}
	}()
	err := d.m.sender.Send(ctx, e)
	close(stop)
	<-done
	return err
}

// flushUnacked makes a last attempt, at shutdown, to remove alerts that
// were sent but are still in the outbox, before the lease is released.
func (d *drain) flushUnacked(ctx context.Context) {
	if len(d.unacked) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.m.outbox.Ack(ctx, d.unacked...); err != nil {
		d.m.log.Error("remove sent alerts from outbox at shutdown; they may be sent again", "alerts", len(d.unacked), "err", err)
	}
}

// delivered removes sent alerts from the outbox. When that fails, it
// remembers them so that they are removed, not sent, next time.
func (d *drain) delivered(ctx context.Context, batch []state.Alert, email render.Email) error {
	ids := alertIDs(batch)
	d.m.log.Info("alert email sent", "subject", email.Subject, "alerts", len(ids), "to", email.To,
		"route", email.Headers[render.HeaderRoute], "message_id", email.MessageID)
	// The email is out: remove its alerts even when shutting down.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.m.outbox.Ack(ctx, ids...); err != nil {
		d.unacked = ids
		return fmt.Errorf("remove sent alerts from outbox: %w", err)
	}
	d.nextAttempt = time.Time{}
	return nil
}

func (d *drain) park(ctx context.Context, batch []state.Alert, err error) {
	d.m.log.Error("alert email refused permanently; alerts parked for inspection", "alerts", len(batch), "err", err)
	for _, a := range batch {
		if perr := d.m.outbox.Park(ctx, a.ID, err.Error()); perr != nil {
			d.m.log.Error("park alert", "id", a.ID, "err", perr)
		}
	}
}

// record notes a failed delivery attempt on each alert.
func (d *drain) record(ctx context.Context, batch []state.Alert, err error) {
	for _, a := range batch {
		if rerr := d.m.outbox.Retry(ctx, a.ID, err.Error()); rerr != nil {
			d.m.log.Error("record delivery attempt", "id", a.ID, "err", rerr)
		}
	}
}

// backOff waits with jittered exponential backoff after a temporary
// failure of what w waits for (the mail server or the store); w logs the
// first of a row.
func (d *drain) backOff(w *backoff.Waiter, err error) time.Duration {
	wait := w.Retry(err)
	d.nextAttempt = d.m.cfg.Now().Add(wait)
	return wait
}

func alertIDs(as []state.Alert) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}
