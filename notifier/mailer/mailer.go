package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// defaultIdlePoll is how often an idle mailer looks at the outbox on its
// own (a commit by any notifier wakes it at once; this catches alerts left
// by an earlier run, or whose wake was lost).
const defaultIdlePoll = 5 * time.Second

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
	// To are the default recipients when Routes is nil.
	To []string
	// Routes is the routing table in force (it may change on reload): the
	// recipients of each email are those of its alerts' route when it is
	// sent. nil sends everything to To.
	Routes func() *route.Table
	// IdlePoll is how often an idle mailer looks at the outbox on its own
	// (default 5s).
	IdlePoll time.Duration
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

	mu   sync.Mutex
	gone map[string]bool // removed routes whose fallback was logged
	// smtp is the wait for the mail server after a temporary failure to
	// send, store the wait for the outbox after one to read or settle it:
	// each says so once, and once when it works again. The leader's next
	// look waits for the one that failed last.
	smtp, store *backoff.Waiter
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
	if cfg.IdlePoll <= 0 {
		cfg.IdlePoll = defaultIdlePoll
	}
	if cfg.Routes == nil {
		table := &route.Table{To: cfg.To}
		cfg.Routes = func() *route.Table { return table }
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	server := "the mail server"
	if s, ok := sender.(interface{ Server() string }); ok {
		server = s.Server()
	}
	wait := func(what string) *backoff.Waiter {
		return &backoff.Waiter{What: what, Log: log, Backoff: backoff.Backoff{Initial: time.Second, Max: cfg.MaxBackoff}}
	}
	return &Mailer{outbox: outbox, sender: sender, cfg: cfg, log: log, wake: make(chan struct{}, 1), gone: map[string]bool{},
		smtp: wait(server + " to deliver alerts"), store: wait("the store to read the alert outbox")}
}

// Ready is a readiness check: nil unless the last attempt to send an email
// failed for a reason that may pass (the mail server unreachable), or the
// last attempt to read or settle the outbox failed (the store
// unreachable), which it then says. A standby (Run not holding the lease)
// waits for neither, and is ready.
func (m *Mailer) Ready(ctx context.Context) error {
	var errs []error
	for _, w := range []*backoff.Waiter{m.store, m.smtp} {
		if w.Waiting() {
			errs = append(errs, w.Check(ctx))
		}
	}
	return errors.Join(errs...)
}

// Poke tells the mailer, without blocking, that alerts are waiting.
func (m *Mailer) Poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends, while this replica holds lease
// (always, when lease is nil: the only mailer), and then releases it. The
// leader looks at the outbox when Poke wakes it, when a burst is due, and
// every IdlePoll; it renews the lease every leaseRenew in between. A
// standby ignores Poke: only the leader sends.
func (m *Mailer) Run(ctx context.Context, lease *Lease) {
	d := m.newDrain(lease)
	if lease != nil {
		defer lease.release()
	}
	defer d.flushUnacked(ctx)
	look := newTimer() // the leader's next look at the outbox
	defer look.Stop()
	renew := newTimer() // the next take or renewal of the lease
	defer renew.Stop()
	wasLeader := false
	for {
		leader := lease == nil || lease.hold(ctx)
		m.cfg.Metrics.leader.Set(oneIf(leader))
		wake := m.wake
		switch {
		case !leader:
			m.cfg.Metrics.sawOutbox(nil, m.cfg.Now) // the leader reports it
			look.Stop()
			wake = nil
			m.smtp.Reset() // the leader's to wait for now
			m.store.Reset()
		case !wasLeader:
			look.Reset(0) // look at once on taking the lease
		}
		wasLeader = leader
		if lease != nil {
			renew.Reset(leaseRenew)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
			look.Reset(d.step(ctx))
		case <-look.C:
			look.Reset(d.step(ctx))
		case <-renew.C:
		}
	}
}

// newTimer is a stopped timer.
func newTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// Flush sends every alert in the outbox now, without waiting for bursts
// to end, as one cron-style run does before it exits: the same emails as
// Run's, one per route and burst. Alerts that could not be sent stay in
// the outbox (or are parked, for a permanent failure) and the error is
// returned.
func (m *Mailer) Flush(ctx context.Context) error {
	d := m.newDrain(nil)
	for {
		alerts, err := m.outbox.Outbox(ctx, 0)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(alerts) == 0 {
			return nil
		}
		first := alerts[0]
		if err := d.deliver(ctx, burst(alerts, first.Route, first.Created.Add(m.cfg.GroupWait), m.cfg.MaxPerEmail)); err != nil {
			return err
		}
	}
}

// recipients are the addresses of route in the routing table in force.
// The alerts of a route without recipients there (removed by a reload, or
// the default route of a table without notify.to) go to the table's
// Fallback, which is logged once; when there is none, that is an error
// logged once: the email is refused for want of a recipient and its
// alerts parked, until a reload gives them one (unpark by hand).
func (m *Mailer) recipients(name string) []string {
	to, ok := m.cfg.Routes().Recipients(name)
	if ok {
		return to
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone[name] {
		return to
	}
	m.gone[name] = true
	if len(to) == 0 {
		m.log.Error("alerts of a route without recipients in the configuration, and neither notify.to nor a last catch-all route to send them to: "+
			"they cannot be emailed and are parked", "route", routeName(name))
		return to
	}
	m.log.Warn("alerts of a route without recipients in the configuration go to the default recipients (notify.to, or the last catch-all route)",
		"route", routeName(name), "to", to)
	return to
}

// routeName names route in the log: "default" for the default route.
func routeName(route string) string {
	if route == "" {
		return "default"
	}
	return route
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
