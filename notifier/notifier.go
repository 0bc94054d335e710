package notifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// Config is the notifier's part of the configuration.
type Config struct {
	// Confirm is how many results in a row must show a new state before it
	// counts (at least 1).
	Confirm int
	// Flap is the flap rule: when a link or a device's reachability is
	// announced as FLAPPING and kept quiet instead of emailed at each
	// change.
	Flap state.Flap
	// GroupWait is how long the mailer waits after the first alert of a
	// burst for more to join the same email.
	GroupWait time.Duration
	From      string
	// To are the default recipients when Routes is nil.
	To []string
	// Routes is the routing table in force (it may change on reload):
	// Apply routes each alert with it when committing, and the mailer
	// addresses each email to its route's recipients. nil routes every
	// alert to To.
	Routes func() *route.Table
	// InstanceDir keeps this notifier's mailer lease owner id across
	// restarts (the data directory), so that a leader killed and started
	// again takes its lease back at once. "": a new id each run.
	InstanceDir string
	// IdlePoll is how often an idle mailer looks at the outbox on its own
	// (default 5s); a commit by any notifier wakes it at once.
	IdlePoll time.Duration
	// Inventory returns the devices whose results are accepted (it may
	// change on reload: a new Inventory, never one changed once
	// returned). Required to consume results.
	Inventory func() *Inventory
	// Location is the NOC's time zone, shown beside UTC in emails.
	Location *time.Location
	// MaxPerEmail caps the alerts in one email (default 200).
	MaxPerEmail int
	// MaxBackoff caps the wait between delivery attempts (default 5m).
	MaxBackoff time.Duration
	// AckWait is how long NATS waits for the ack of a result before
	// redelivering it (default 10s): how long the results a notifier held
	// when it died or stopped wait for another. A commit takes far less;
	// one that takes longer is applied twice, which changes nothing the
	// second time.
	AckWait time.Duration
	// Committers is how many results are committed at once, each
	// device's in order (default DefaultCommitters).
	Committers int
	Log        *slog.Logger
	// Metrics receives the notifier's counters; nil counts them unexported.
	Metrics *Metrics
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Silenced reports whether alerts about target of device at site are
	// held back now (state.Rules.Silenced, for Decide; the site checker
	// asks it with device and target ""). nil: nothing is silenced.
	Silenced func(site, device, target string) bool
	// SiteCheck is how often sites are checked for results (default a
	// quarter of the inventory's stale_after, between 100ms and 1m).
	SiteCheck time.Duration
	// Maintenance returns the recurring maintenance windows of the
	// configuration in force (it may change on reload), held back like
	// silences; nil: none.
	Maintenance func() []state.Window
	// SilenceRefresh is how often the silences are read again from the
	// store, which other notifiers may change (default 5s).
	SilenceRefresh time.Duration
}

// Notifier consumes results, commits them to the store and mails alerts.
type Notifier struct {
	js     jetstream.JetStream
	nc     *nats.Conn
	store  state.Store
	mailer *mailer.Mailer
	cfg    Config
	log    *slog.Logger
	// started is when the notifier was made: sites are not blind before
	// stale_after has passed since, nor since they entered the inventory
	// (watched).
	started time.Time
	watched *watched
	// checkSites wakes the site checker, when a silence ended.
	checkSites chan struct{}
	// silences caches the store's silences; pruned is when ended ones
	// were last pruned (by the watch loop only).
	silences *silences
	pruned   time.Time
	// commits is the wait for the store while results cannot be
	// committed: said once when it starts, once when a commit works.
	commits *backoff.Waiter
}

// New returns a notifier reading results from js, keeping state in store
// and delivering alerts with sender. nc serves the status/history API; it
// may be nil to serve none.
func New(js jetstream.JetStream, nc *nats.Conn, store state.Store, sender mailer.Sender, cfg Config) *Notifier {
	if cfg.Confirm < 1 {
		cfg.Confirm = 1
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 10 * time.Second
	}
	if cfg.Committers <= 0 {
		cfg.Committers = DefaultCommitters
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SilenceRefresh <= 0 {
		cfg.SilenceRefresh = 5 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Routes == nil {
		table := &route.Table{To: cfg.To}
		cfg.Routes = func() *route.Table { return table }
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("service", "notifier")
	m := mailer.New(store, sender, mailer.Config{GroupWait: cfg.GroupWait, From: cfg.From, Routes: cfg.Routes,
		IdlePoll: cfg.IdlePoll, Location: cfg.Location, MaxPerEmail: cfg.MaxPerEmail, MaxBackoff: cfg.MaxBackoff, Log: log,
		Metrics: cfg.Metrics.mailer, Now: cfg.Now})
	started := cfg.Now().UTC()
	return &Notifier{js: js, nc: nc, store: store, mailer: m, cfg: cfg, log: log, started: started,
		watched: newWatched(started), checkSites: make(chan struct{}, 1), silences: newSilences(),
		commits: &backoff.Waiter{What: "the store to commit results", Log: log}}
}

// Run consumes results, drains the outbox and serves the API until ctx
// ends. It returns nil on a clean stop: ctx cancelled, also while starting.
// While NATS or JetStream cannot be reached it waits (for the results
// consumer, for the mailer lease bucket), and it makes the consumer again
// when it is lost; it ends early only for an error waiting cannot cure.
func (n *Notifier) Run(ctx context.Context) error {
	if n.cfg.Inventory == nil {
		return errors.New("notifier: no inventory: results are accepted only for configured devices")
	}
	// Silences are read before the first result is committed.
	if err := n.loadSilences(ctx); err != nil {
		n.log.Warn("read silences", "err", err)
	}
	run, fail := context.WithCancelCause(ctx)
	defer fail(nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		if err := n.consume(run); err != nil {
			fail(err)
		}
	})
	if n.nc != nil {
		stopAPI, err := api.Serve(n.nc, n.store, n.log, api.WithFleet(n.fleet), api.WithSilences(n))
		if err != nil {
			fail(err)
			return stopped(ctx, err)
		}
		defer stopAPI()
		stopWake, err := n.listenWake()
		if err != nil {
			fail(err)
			return stopped(ctx, err)
		}
		defer stopWake()
	}
	var lease *mailer.Lease
	if n.js != nil {
		wait := &backoff.Waiter{What: "the mailer lease bucket on NATS", Transient: proto.Transient, Log: n.log}
		err := wait.Do(run, func(ctx context.Context) (err error) {
			lease, err = mailer.OpenLease(ctx, n.js, n.cfg.InstanceDir, n.log)
			return err
		})
		if err != nil {
			fail(err)
			return stopped(ctx, context.Cause(run))
		}
	}
	wg.Go(func() { n.mailer.Run(run, lease) })
	wg.Go(func() { n.watchSites(run) })
	wg.Go(func() { n.watchSilences(run) })
	n.log.Info("notifier started", "confirm", n.cfg.Confirm, "group_wait", n.cfg.GroupWait,
		"flap_changes", n.cfg.Flap.Changes, "flap_window", n.cfg.Flap.Window)
	<-run.Done()
	if err := context.Cause(run); ctx.Err() == nil && err != nil {
		return fmt.Errorf("notifier: %w", err)
	}
	return stopped(ctx, fmt.Errorf("notifier: %w", ctx.Err()))
}

// MailReady is the readiness check of the notifier's mail delivery: nil
// unless the last attempt failed for a reason that may pass, the mail
// server or the store (reading the outbox) unreachable, which it then
// says. A standby notifier (not
// holding the mailer lease) sends nothing and is ready.
func (n *Notifier) MailReady(ctx context.Context) error {
	return n.mailer.Ready(ctx)
}

// stopped is what Run returns when it ends with err: nil once ctx was
// cancelled, which is a clean stop even while the notifier was starting;
// err otherwise.
func stopped(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return err
}

// Flush sends every alert in the outbox now, ignoring group_wait, as one
// cron-style run does before it exits. Alerts that could not be sent stay
// in the outbox (or are parked, for a permanent failure) and the error is
// returned.
func (n *Notifier) Flush(ctx context.Context) error {
	return n.mailer.Flush(ctx)
}
