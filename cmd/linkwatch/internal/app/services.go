// Package app wires linkwatch's services from the configuration: the
// scheduler's inventory, workers with their credentials, the notifier with
// its store and mail sender, the NATS connection, and the all-in-one `run`
// with an embedded NATS server and embedded store when no URL is given.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/mail"
	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
	"github.com/linkwatch/linkwatch/scheduler"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// Inventory is the scheduler's view of the configuration: one job template
// per device, naming the device, its site and the site's inventory
// revision. Everything else about the device stays with the workers.
func Inventory(cfg *config.Config) scheduler.Inventory {
	inv := scheduler.Inventory{Interval: cfg.Interval}
	revisions := map[string]string{}
	for _, site := range cfg.Sites() {
		revisions[site] = cfg.Revision(site)
	}
	for _, d := range cfg.Devices {
		inv.Devices = append(inv.Devices, &proto.ProbeJob{Device: d.Name, Site: d.Site, InventoryRevision: revisions[d.Site]})
	}
	return inv
}

// Device is the probe input of one configured device, its credential (and
// its jump host's) named but not resolved.
func Device(d config.Device) worker.Device {
	out := worker.Device{Name: d.Name, Site: d.Site, Host: d.Host, Port: d.Port, Platform: d.Platform,
		Credential: d.Credentials, Algorithms: Algorithms(d.SSH), Persistent: d.Session == config.SessionPersistent}
	if j := d.Jump; j != nil {
		out.Jump = JumpHost(*j)
	}
	for _, t := range d.Targets {
		out.Targets = append(out.Targets, ping.Params{Target: t.Address, VRF: t.VRF, Source: t.Source,
			Count: t.Count, Timeout: t.Timeout, Size: t.Size})
	}
	return out
}

// JumpHost is the configured jump host j for a worker, its credential
// named but not resolved.
func JumpHost(j config.JumpHost) worker.JumpHost {
	return worker.JumpHost{Name: j.Name, Host: j.Host, Port: j.Port, Credential: j.Credentials, Algorithms: Algorithms(j.SSH)}
}

// Algorithms are the SSH algorithms a device's ssh settings allow besides
// the defaults.
func Algorithms(s config.SSH) worker.Algorithms {
	a := worker.Algorithms{KeyExchanges: s.KeyExchanges, Ciphers: s.Ciphers, MACs: s.MACs, HostKeys: s.HostKeyAlgorithms}
	if s.Legacy {
		a = worker.LegacyAlgorithms().Add(a)
	}
	return a
}

// WorkerInventory is what a worker of site may probe: the site's devices
// in cfg, and their revision.
func WorkerInventory(cfg *config.Config, site string) *worker.Inventory {
	inv := &worker.Inventory{Site: site, Revision: cfg.Revision(site), Devices: map[string]worker.Device{}}
	for _, d := range cfg.DevicesAt(site) {
		inv.Devices[d.Name] = Device(d)
	}
	return inv
}

// Prober builds the SSH prober for the devices of sites with the
// configured host key policy: trust on first use keeps its pins in pins
// (the bus's bucket for a worker, a file for check), naming worker id as
// the pinner; known_hosts files are read for each probe, so an edited file
// takes effect at once, and checked here for every site; insecure is said
// at every start.
func Prober(cfg *config.Config, sites []string, pins worker.Pins, id string, log *slog.Logger) (*worker.Prober, error) {
	p := &worker.Prober{Log: log, MaxOutput: int64(cfg.Worker.MaxOutputKiB) << 10}
	switch w := cfg.Worker; w.HostKeys {
	case config.HostKeysInsecure:
		log.Warn("worker.host_keys is insecure: device host keys are not checked, and a password goes to whatever answers at a device's address; " +
			"remove it to pin keys on first contact (tofu), or set worker.known_hosts")
		p.HostKeys = worker.InsecureHostKeys{}
	case config.HostKeysKnownHosts:
		for _, site := range sites {
			if _, err := knownhosts.New(w.KnownHostsFor(site)); err != nil {
				return nil, fmt.Errorf("worker.known_hosts of site %s: %w", site, err)
			}
		}
		p.HostKeys = worker.KnownHosts{ForSite: func(site string) (ssh.HostKeyCallback, error) {
			return knownhosts.New(w.KnownHostsFor(site))
		}}
	case config.HostKeysTOFU:
		if pins == nil {
			return nil, errors.New("worker.host_keys tofu: no place to keep pins")
		}
		p.HostKeys = worker.TrustOnFirstUse{Pins: pins, Worker: id}
	default:
		return nil, fmt.Errorf("worker.host_keys: %q is not a host key mode", w.HostKeys)
	}
	log.Info("device host keys", "mode", cfg.Worker.HostKeys)
	return p, nil
}

// Worker builds the worker service of one site. lim may be shared by the
// workers of several sites in one process; nil gives this worker its own.
// Credentials are resolved through live, so a reload takes effect. Host
// keys pinned on first contact are kept in the bus's bucket, shared with
// the site's other workers.
func Worker(js jetstream.JetStream, live *Live, site, id string, lim *worker.Limiter, m *worker.Metrics, log *slog.Logger) (*worker.Service, error) {
	cfg := live.Config()
	prober, err := Prober(cfg, []string{site}, worker.NewKVPins(js), id, log)
	if err != nil {
		return nil, err
	}
	concurrency := cfg.Worker.Concurrency
	if cfg.Worker.SiteConcurrency > 0 {
		concurrency = min(concurrency, cfg.Worker.SiteConcurrency)
	}
	return worker.NewService(js, worker.ServiceConfig{
		Site: site, ID: id, Concurrency: concurrency, SiteConcurrency: cfg.Worker.SiteConcurrency, AckWait: cfg.Worker.AckWait,
		Logins:            worker.LoginPolicy(cfg.Worker.Logins),
		PersistentPerSite: cfg.Worker.PersistentSessionsPerSite,
		Sessions:          worker.SessionsConfig{KeepAlive: cfg.Worker.SessionKeepAlive, Idle: cfg.Worker.SessionIdle},
		Inventory:         Derived(live, func(c *config.Config) *worker.Inventory { return WorkerInventory(c, site) }), Credentials: live.Credential, Prober: prober, Limiter: lim, Metrics: m, Log: log,
	})
}

// CheckPinsFile is where `linkwatch check`, which runs without the bus,
// keeps the host keys it pins on first contact.
func CheckPinsFile(cfg *config.Config) string {
	return filepath.Join(cfg.DataDir, "check-hostkeys.json")
}

// WorkerID names this worker instance: host name and process id.
func WorkerID() string {
	h, err := os.Hostname()
	if err != nil {
		h = "worker"
	}
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}

// Store is the notifier's store, which also answers a readiness check.
type Store interface {
	state.Store
	Ping(context.Context) error
}

var (
	_ Store = (*store.Redis)(nil)
	_ Store = (*store.Embedded)(nil)
)

// OpenStore opens Redis when state.redis_url is set, logging in and
// verifying TLS as the state section says, else the embedded store under
// data_dir. With w (StoreWaiter), it waits while Redis cannot be reached
// or is not ready; a refused login or a bad certificate fails at once, as
// does any error with no w (the CLI).
func OpenStore(ctx context.Context, cfg *config.Config, w *backoff.Waiter) (Store, error) {
	open, err := StoreOpener(cfg)
	if err != nil {
		return nil, err
	}
	return open(ctx, w)
}

// StoreOpener reads what the state section needs (the Redis password, its
// CAs) now, so that a mistake there fails at start, before any wait, and
// returns what opens the store (OpenStore).
func StoreOpener(cfg *config.Config) (func(context.Context, *backoff.Waiter) (Store, error), error) {
	s := cfg.State
	if s.RedisURL == "" {
		return func(context.Context, *backoff.Waiter) (Store, error) {
			return store.OpenEmbedded(filepath.Join(cfg.DataDir, "state.db"))
		}, nil
	}
	password, err := cfg.RedisPassword()
	if err != nil {
		return nil, err
	}
	opts := []store.RedisOption{store.RedisAuth(s.Username, password)}
	if s.CAFile != "" {
		pool, err := loadCAs(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("state.ca_file: %w", err)
		}
		opts = append(opts, store.RedisRootCAs(pool))
	}
	return func(ctx context.Context, w *backoff.Waiter) (Store, error) {
		var st *store.Redis
		open := func(ctx context.Context) (err error) {
			st, err = store.OpenRedis(ctx, s.RedisURL, s.Prefix, opts...)
			return err
		}
		var err error
		if w == nil {
			err = open(ctx)
		} else {
			err = w.Do(ctx, open)
		}
		if err != nil {
			return nil, err
		}
		return st, nil
	}, nil
}

// loadCAs reads a PEM file of CA certificates.
func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", file)
	}
	return pool, nil
}

// Sender returns the SMTP sender, or one writing to stdout when no SMTP
// server is configured.
func Sender(cfg *config.Config, stdout io.Writer, log *slog.Logger) (mailer.Sender, error) {
	s := cfg.Notify.SMTP
	if s == nil {
		return &mail.Writer{W: stdout}, nil
	}
	password := ""
	if s.Username != "" {
		p, err := cfg.SMTPPassword()
		if err != nil {
			return nil, err
		}
		password = p
	}
	mc := mail.Config{Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, Password: password,
		Timeout: 30 * time.Second}
	if s.CAFile != "" {
		pool, err := loadCAs(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("notify.smtp.ca_file: %w", err)
		}
		mc.TLSConfig = &tls.Config{RootCAs: pool, ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	return mail.New(mc, log)
}

// NotifierConfig is the notifier's part of the configuration in force in
// live; the inventory it accepts results for follows reloads.
func NotifierConfig(live *Live, reg prometheus.Registerer, log *slog.Logger) notifier.Config {
	cfg := live.Config()
	return notifier.Config{Confirm: cfg.Notify.Confirm, Flap: Flap(cfg.Notify.Flap), GroupWait: cfg.Notify.GroupWait, From: cfg.Notify.From,
		To: cfg.Notify.To, Routes: Derived(live, RouteTable), InstanceDir: cfg.DataDir,
		Location: cfg.Notify.Location, Metrics: notifier.NewMetrics(reg), Log: log,
		Inventory: Derived(live, NotifierInventory), Maintenance: Derived(live, maintenance)}
}

// Notifier is the notifier of the configuration in force in live, its
// metrics (the links' states among them) registered on reg.
func Notifier(js jetstream.JetStream, nc *nats.Conn, st state.Store, sender mailer.Sender, live *Live, reg prometheus.Registerer, log *slog.Logger) *notifier.Notifier {
	n := notifier.New(js, nc, st, sender, NotifierConfig(live, reg, log))
	reg.MustRegister(n.LinkMetrics())
	return n
}

// maintenance is the configured maintenance windows.
func maintenance(cfg *config.Config) []state.Window { return cfg.Notify.Windows() }

// Flap is the configured flap rule.
func Flap(f config.Flap) state.Flap {
	return state.Flap{Changes: f.Changes, Window: f.Window, Quiet: f.Quiet}
}

// RouteTable is the routing table of notify.routes, with notify.to as the
// default route.
func RouteTable(cfg *config.Config) *route.Table {
	t := &route.Table{To: cfg.Notify.To}
	for _, r := range cfg.Notify.Routes {
		t.Routes = append(t.Routes, route.Route{Name: r.Name, Sites: r.Sites, Devices: r.Devices, To: r.To, Continue: r.Continue})
	}
	return t
}

// NotifierInventory is what the notifier accepts results for: every
// configured device at its site, with its links.
func NotifierInventory(cfg *config.Config) *notifier.Inventory {
	inv := &notifier.Inventory{Interval: cfg.Interval, StaleAfter: cfg.Notify.StaleAfter, Sites: make(map[string]string, len(cfg.Devices)),
		Links: make(map[string]map[string]bool, len(cfg.Devices))}
	for _, d := range cfg.Devices {
		inv.Sites[d.Name] = d.Site
		inv.Links[d.Name] = make(map[string]bool, len(d.Targets))
		for _, t := range d.Targets {
			inv.Links[d.Name][state.LinkKey(t.Address, t.VRF)] = true
		}
	}
	return inv
}
