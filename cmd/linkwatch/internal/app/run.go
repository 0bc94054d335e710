package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
	"github.com/linkwatch/linkwatch/proto/localnats"
	"github.com/linkwatch/linkwatch/proto/natsauth"
	"github.com/linkwatch/linkwatch/scheduler"
	"github.com/linkwatch/linkwatch/worker"
)

// RunOptions are the all-in-one's inputs besides the configuration.
type RunOptions struct {
	Log    *slog.Logger
	Stdout io.Writer // where emails go when no SMTP server is configured
	// Reload, when it yields, re-reads the configuration with Load and
	// hands the scheduler the new inventory.
	Reload <-chan struct{}
	Load   func() (*config.Config, error)
	// Sites are the sites whose workers run in this process; nil means
	// every configured site. Workers of the other sites connect to this
	// process's NATS server from where their devices are reachable.
	Sites []string
	// MetricsListen serves Prometheus metrics, /healthz and /readyz on
	// this address ("": none).
	MetricsListen string
	// SchedulerNow is the scheduler's clock; nil is time.Now. linkwatch
	// bench sets it so that every device's job is due at the start.
	SchedulerNow func() time.Time
	// Store, when set, is given the notifier's store once opened and
	// returns the store the notifier uses: linkwatch bench counts the
	// links committed through it.
	Store func(Store) Store
}

// Run runs the scheduler, a worker for every configured site and the
// notifier in one process until ctx ends, with an embedded NATS server
// unless nats.url is set and the embedded store unless state.redis_url is.
// Each service has its own connection, as its own role: the embedded
// server admits only the roles' keys (BusKeys), each with its role's
// permissions, so the services in this process are held to the same rules
// as those elsewhere.
func Run(ctx context.Context, cfg *config.Config, opts RunOptions) error {
	log := opts.Log
	// The embedded server's JetStream store and the embedded state store
	// live in data_dir: take it before either is opened.
	release, err := LockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer release()
	if cfg.NATS.URL == "" {
		// The embedded server admits only the roles' keys: every service
		// here logs in with its own, whatever login the nats section
		// gives for clients that join from elsewhere.
		local := *cfg
		local.NATS.NkeySeedFile = ""
		cfg = &local
		srv, err := startNATS(cfg, log)
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		log.Info("embedded nats listening; clients log in with the keys in "+BusKeys(cfg).Dir, "url", srv.ClientURL())
	}
	sites := opts.Sites
	if sites == nil {
		sites = cfg.Sites()
	}
	// Readiness says what each service waits for from the start.
	reg, health := NewRegistry(), &Health{}
	waits := map[proto.Role]*backoff.Waiter{}
	roles := []proto.Role{proto.RoleScheduler, proto.RoleNotifier}
	for _, site := range sites {
		role, err := proto.WorkerRole(site)
		if err != nil {
			return err
		}
		roles = append(roles, role)
	}
	for _, role := range roles {
		waits[role] = NATSWaiter(cfg, role, log)
		health.AddNATSWait(role, waits[role])
	}
	// Mistakes in the configuration fail before any wait.
	openStore, err := StoreOpener(cfg)
	if err != nil {
		return err
	}
	sender, err := Sender(cfg, opts.Stdout, log)
	if err != nil {
		return err
	}
	var storeWait *backoff.Waiter
	if cfg.State.RedisURL != "" {
		storeWait = StoreWaiter(cfg, log)
		health.Add("store", storeWait.Check)
	}
	if err := ServeMetrics(ctx, opts.MetricsListen, reg, health, log); err != nil {
		return err
	}
	var conns []*nats.Conn
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	connect := func(role proto.Role) (*nats.Conn, jetstream.JetStream, error) {
		nc, js, err := Connect(ctx, cfg, role, log, waits[role])
		if err == nil {
			conns = append(conns, nc)
		}
		return nc, js, err
	}
	snc, sjs, err := connect(proto.RoleScheduler)
	if err != nil {
		return err
	}
	nnc, njs, err := connect(proto.RoleNotifier)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, storeWait)
	if err != nil {
		return err
	}
	defer st.Close()
	if opts.Store != nil {
		st = opts.Store(st)
	}
	live := NewLive(cfg)
	sched := scheduler.NewWithMetrics(sjs, Inventory(cfg), log, opts.SchedulerNow, reg)
	reloadScheduler := SchedulerReload(sched, sjs, live, log)
	apply := func(ctx context.Context, next *config.Config) {
		reloadScheduler(ctx, next)
		if added := newSites(cfg.Sites(), next.Sites()); len(added) > 0 {
			log.Warn("sites added by the reload have no worker and no bus key: restart linkwatch run",
				"sites", added)
		}
	}
	notif := Notifier(njs, nnc, st, sender, live, reg, log)
	health.AddScheduler(snc, sjs)
	health.AddNotifier(nnc, njs, st, notif)
	services := []func(context.Context) error{
		notif.Run,
		sched.Run,
		func(ctx context.Context) error { return ReloadLoop(ctx, opts.Reload, opts.Load, apply, log) },
		func(ctx context.Context) error { return Keep(ctx, live, proto.RoleScheduler, sjs, log) },
		func(ctx context.Context) error { return Keep(ctx, live, proto.RoleNotifier, njs, log) },
	}
	lim := worker.NewLimiter(cfg.Worker.Concurrency, cfg.Worker.SiteConcurrency)
	wm := worker.NewMetrics(reg)
	for _, site := range sites {
		role, err := proto.WorkerRole(site)
		if err != nil {
			return err
		}
		wnc, wjs, err := connect(role)
		if err != nil {
			return err
		}
		w, err := Worker(wjs, live, site, WorkerID()+"-"+site, lim, wm, log)
		if err != nil {
			return err
		}
		if err := health.AddWorker(site, wnc, w); err != nil {
			return err
		}
		services = append(services, w.Run)
	}
	return RunAll(ctx, services...)
}

// newSites lists the sites of next that running lacks.
func newSites(running, next []string) []string {
	var added []string
	for _, s := range next {
		if !slices.Contains(running, s) {
			added = append(added, s)
		}
	}
	return added
}

func startNATS(cfg *config.Config, log *slog.Logger) (*localnats.Server, error) {
	host, portText, err := net.SplitHostPort(cfg.NATS.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats.listen %q: %w", cfg.NATS.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("nats.listen %q: bad port: %w", cfg.NATS.Listen, err)
	}
	users, err := BusUsers(cfg)
	if err != nil {
		return nil, err
	}
	nkeys, err := natsauth.NkeyUsers(users)
	if err != nil {
		return nil, err
	}
	return localnats.Start(localnats.Options{Host: host, Port: port, StoreDir: filepath.Join(cfg.DataDir, "nats"),
		Name: "linkwatch", Log: log.With("component", "nats"), Users: nkeys})
}

// ReloadLoop re-reads the configuration on each reload signal and hands
// it to apply. A bad file is logged and the running configuration kept.
func ReloadLoop(ctx context.Context, reload <-chan struct{}, load func() (*config.Config, error),
	apply func(context.Context, *config.Config), log *slog.Logger) error {
	if reload == nil || load == nil {
		<-ctx.Done()
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
			cfg, err := load()
			if err != nil {
				log.Error("reload configuration; keeping the running one", "err", err)
				continue
			}
			apply(ctx, cfg)
			log.Info("configuration reloaded", "devices", len(cfg.Devices), "interval", cfg.Interval)
		}
	}
}

// SchedulerReload applies a reloaded configuration to a scheduler: the new
// inventory, and the streams' windows when the interval changed.
func SchedulerReload(s *scheduler.Scheduler, js jetstream.JetStream, live *Live, log *slog.Logger) func(context.Context, *config.Config) {
	return func(ctx context.Context, cfg *config.Config) {
		old := live.Swap(cfg)
		s.Reload(Inventory(cfg))
		if cfg.Interval != old.Interval {
			if err := proto.EnsureStream(ctx, js, proto.StreamJobs, cfg.Interval, 1); err != nil {
				log.Error("update streams for the new interval", "err", err)
			}
		}
	}
}

// RunAll runs every service until ctx ends or one returns; then it stops
// the others, waits for them and returns the first error that is not
// context.Canceled (nil on a clean stop).
func RunAll(ctx context.Context, services ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	for _, run := range services {
		g.Go(func() error {
			defer cancel() // a service that ends, even cleanly, stops the rest
			if err := run(ctx); !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		})
	}
	return g.Wait()
}
