package mailer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// idlePoll is how often an idle mailer looks at the outbox on its own (a
// commit wakes it at once; this catches alerts left by an earlier run).
const idlePoll = 5 * time.Second

// Outbox is the part of the store the mailer uses: the alerts waiting, and
// what becomes of them once an email was sent or refused.
type Outbox interface {
	Outbox(ctx context.Context, limit int) ([]state.Alert, error)
	Ack(ctx context.Context, ids ...string) error
	Retry(ctx context.Context, id string, lastErr string) error
	Park(ctx context.Context, id string, reason string) error
}

var _ Outbox = state.Store(nil)

// Config is how the mailer groups, addresses and retries.
type Config struct {
	// GroupWait is how long the mailer waits after the first alert of a
	// burst for more to join the same email.
	GroupWait time.Duration
	From      string
	To        []string
	// Location is the NOC's time zone, shown beside UTC in emails.
	Location *time.Location
	// MaxPerEmail caps the alerts in one email (default 200).
	MaxPerEmail int
	// MaxBackoff caps the wait between delivery attempts (default 5m).
	MaxBackoff time.Duration
	Log        *slog.Logger
	// Metrics receives the mailer's counters; nil counts them unexported.
	Metrics *Metrics
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Mailer drains an outbox through a Sender.
type Mailer struct {
	outbox Outbox
	sender Sender
	cfg    Config
	log    *slog.Logger
	wake   chan struct{}
}

// New returns a mailer that delivers the alerts of outbox with sender.
func New(outbox Outbox, sender Sender, cfg Config) *Mailer {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.MaxPerEmail <= 0 {
		cfg.MaxPerEmail = 200
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mailer{outbox: outbox, sender: sender, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
}

// Poke tells the mailer, without blocking, that alerts are waiting.
func (m *Mailer) Poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends, while this replica holds lease
// (always, when lease is nil: the only mailer), and then releases it.
func (m *Mailer) Run(ctx context.Context, lease *Lease) {
	d := m.newDrain(lease)
	if lease != nil {
		defer lease.release()
	}
	defer d.flushUnacked(ctx)
	for {
		wait := leaseRenew
		leader := lease == nil || lease.hold(ctx)
		m.cfg.Metrics.leader.Set(oneIf(leader))
		if !leader {
			m.cfg.Metrics.outbox.Set(0) // the leader reports it
		}
		if leader {
			wait = d.step(ctx)
			if lease != nil {
				wait = min(wait, leaseRenew)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-m.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush sends every alert in the outbox now, ignoring GroupWait, as one
// cron-style run does before it exits. Alerts that could not be sent stay
// in the outbox (or are parked, for a permanent failure) and the error is
// returned.
func (m *Mailer) Flush(ctx context.Context) error {
	d := m.newDrain(nil)
	for {
		alerts, err := m.outbox.Outbox(ctx, m.cfg.MaxPerEmail)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(alerts) == 0 {
			return nil
		}
		if err := d.deliver(ctx, alerts); err != nil {
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
