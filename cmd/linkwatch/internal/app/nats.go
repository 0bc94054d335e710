package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
	"github.com/linkwatch/linkwatch/proto/secretfile"
	"github.com/linkwatch/linkwatch/scheduler"
)

// NATSURL is the server the services and the CLI talk to: nats.url, or the
// embedded server of a running `linkwatch run` on nats.listen.
func NATSURL(cfg *config.Config) string {
	if cfg.NATS.URL != "" {
		return cfg.NATS.URL
	}
	return "nats://" + cfg.NATS.Listen
}

// Dial connects to the NATS server of the configuration (NATSURL) as role,
// logging in and setting up TLS as its nats section says; the server's
// certificate is always verified. With no login in the nats section and
// no nats.url, the server is a local `linkwatch run`'s embedded one, and
// the role's key under data_dir (BusKeys) logs in. Replies come to the
// role's own inbox prefix, the only one its permissions let it read. The
// connection reconnects forever, logging when it is lost and back. ctx
// bounds the connection attempt; opts come after Dial's own and may
// override them (the CLI sets a shorter timeout). A nil log discards.
// Errors name the server without its password or token.
func Dial(ctx context.Context, cfg *config.Config, role proto.Role, name string, log *slog.Logger, opts ...nats.Option) (*nats.Conn, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	login, err := natsLogin(cfg, role)
	if err != nil {
		return nil, err
	}
	base := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.CustomInboxPrefix(role.InboxPrefix()),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("nats reconnected", "url", RedactURLs(c.ConnectedUrl())) })}
	if deadline, ok := ctx.Deadline(); ok {
		base = append(base, nats.Timeout(time.Until(deadline)))
	}
	servers := NATSURL(cfg)
	nc, err := nats.Connect(servers, slices.Concat(base, login, opts)...)
	if err != nil {
		if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL, password included
		}
		return nil, fmt.Errorf("connect to nats %s: %w", RedactURLs(servers), err)
	}
	return nc, nil
}

// roleKey logs in with role's key under data_dir (BusKeys): always for
// the embedded server of a local `linkwatch run`, which admits nobody else,
// and for a server at nats.url when the key is there (a hub configured
// with linkwatch creds server-config). With nats.url and no key, it gives
// no login (nil).
func roleKey(cfg *config.Config, role proto.Role) (nats.Option, error) {
	keys := BusKeys(cfg)
	if cfg.NATS.URL != "" {
		if _, err := os.Stat(keys.SeedFile(role)); errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
	}
	if _, err := keys.Seed(role); err != nil {
		return nil, fmt.Errorf("log in to nats as %s: %w (linkwatch run creates the keys at its first start; "+
			"run this as the same user, or set nats.nkey_seed_file to a key from linkwatch creds export)", role, err)
	}
	opt, err := nats.NkeyOptionFromSeed(keys.SeedFile(role))
	if err != nil {
		return nil, fmt.Errorf("log in to nats as %s: %w", role, err)
	}
	return opt, nil
}

// natsLogin returns the options that log in and set up TLS as the nats
// section says, or with role's key (roleKey) when it gives no login. Files holding a secret must be private to their owner
// (secretfile.Check); the TLS files are loaded once now so that a bad
// one is named by its key, and again by nats.go at each connection.
func natsLogin(cfg *config.Config, role proto.Role) ([]nats.Option, error) {
	n := cfg.NATS
	var opts []nats.Option
	switch {
	case n.User == "" && n.NkeySeedFile == "" && n.CredsFile == "":
		opt, err := roleKey(cfg, role)
		if err != nil {
			return nil, err
		}
		if opt != nil {
			opts = append(opts, opt)
		}
	case n.User != "":
		password, err := cfg.NATSPassword()
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserInfo(n.User, password))
	case n.NkeySeedFile != "":
		if err := secretfile.Check(n.NkeySeedFile); err != nil {
			return nil, fmt.Errorf("nats.nkey_seed_file: %w", err)
		}
		opt, err := nats.NkeyOptionFromSeed(n.NkeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats.nkey_seed_file: %w", err)
		}
		opts = append(opts, opt)
	case n.CredsFile != "":
		if err := secretfile.Check(n.CredsFile); err != nil {
			return nil, fmt.Errorf("nats.creds_file: %w", err)
		}
		opts = append(opts, nats.UserCredentials(n.CredsFile))
	}
	if n.CAFile != "" {
		opt := nats.RootCAs(n.CAFile)
		if err := opt(&nats.Options{}); err != nil {
			return nil, fmt.Errorf("nats.ca_file: %w", err)
		}
		opts = append(opts, opt)
	}
	if n.CertFile != "" || n.KeyFile != "" {
		if err := secretfile.Check(n.KeyFile); err != nil {
			return nil, fmt.Errorf("nats.key_file: %w", err)
		}
		opt := nats.ClientCert(n.CertFile, n.KeyFile)
		if err := opt(&nats.Options{}); err != nil {
			return nil, fmt.Errorf("nats.cert_file, nats.key_file: %w", err)
		}
		opts = append(opts, opt)
	}
	return opts, nil
}

// Connect dials NATS for a service as role (Dial), waiting with w
// (NATSWaiter) while the server cannot be reached; a refused login, a bad
// certificate or a bad URL fails at once. The keeper of each stream then
// makes sure it exists as configured (proto.EnsureStream), waiting for
// JetStream likewise: the scheduler the jobs stream and the workers'
// shared buckets, the notifier the results stream; workers wait for them
// (worker.Service binds when they appear). A nil w waits too, with no one
// checking it.
func Connect(ctx context.Context, cfg *config.Config, role proto.Role, log *slog.Logger, w *backoff.Waiter) (*nats.Conn, jetstream.JetStream, error) {
	if w == nil {
		w = NATSWaiter(cfg, role, log)
	}
	var (
		nc *nats.Conn
		js jetstream.JetStream
	)
	// One attempt is the connection and what role keeps, so that a
	// JetStream not up yet is waited for like the server, in one wait.
	err := w.Do(ctx, func(ctx context.Context) (err error) {
		if nc, err = Dial(ctx, cfg, role, "linkwatch "+string(role), log); err != nil {
			return err
		}
		if js, err = JetStream(cfg, nc); err == nil {
			err = proto.ExplainNoJetStream(nc, keep(ctx, cfg, role, js))
		}
		if err != nil {
			nc.Close()
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return nc, js, nil
}

// keep makes sure of what role keeps on the bus: its stream, and the
// scheduler the workers' buckets.
func keep(ctx context.Context, cfg *config.Config, role proto.Role, js jetstream.JetStream) error {
	stream := map[proto.Role]string{proto.RoleScheduler: proto.StreamJobs, proto.RoleNotifier: proto.StreamResults}[role]
	if stream != "" {
		if err := proto.EnsureStream(ctx, js, stream, cfg.Interval, 1); err != nil {
			return err
		}
	}
	if role == proto.RoleScheduler {
		return proto.EnsureBuckets(ctx, js, 1)
	}
	return nil
}

// keepEvery is how often a keeper looks for what it keeps on the bus.
const keepEvery = 10 * time.Second

// Keep runs until ctx ends, making again what role keeps on the bus (keep),
// as the configuration in force in live says, when it is found missing: a
// NATS server restarted with an empty store, or a stream deleted by hand.
// It looks every keepEvery; a failure is logged when it begins and when it
// ends (backoff.Waiter).
func Keep(ctx context.Context, live *Live, role proto.Role, js jetstream.JetStream, log *slog.Logger) error {
	stream := map[proto.Role]string{proto.RoleScheduler: proto.StreamJobs, proto.RoleNotifier: proto.StreamResults}[role]
	if stream == "" {
		<-ctx.Done()
		return nil
	}
	w := &backoff.Waiter{What: "NATS to keep stream " + stream, Log: log.With("role", string(role))}
	t := time.NewTicker(keepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		_, err := js.Stream(ctx, stream)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			log.Warn("stream "+stream+" is missing; making it again", "role", role)
			err = keep(ctx, live.Config(), role, js)
			if err == nil && role == proto.RoleNotifier {
				// The mailer's lease bucket went with it.
				_, err = mailer.OpenLease(ctx, js, "", log) // only the bucket: no instance id kept
			}
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			w.Retry(err)
		default:
			w.Done()
		}
	}
}

// JetStream is the JetStream context of nc, a connection to the server of
// cfg: in the domain nats.jetstream_domain when it is set (the hub's,
// whose streams a remote site reaches through its leaf node), else the
// server's own. An asynchronous publish whose ack has not come within
// scheduler.AckTimeout fails (jetstream.ErrAsyncPublishTimeout) and stops
// counting as pending, so lost acks cannot pile up until publishing stalls.
func JetStream(cfg *config.Config, nc *nats.Conn) (jetstream.JetStream, error) {
	var js jetstream.JetStream
	var err error
	opt := jetstream.WithPublishAsyncTimeout(scheduler.AckTimeout)
	if domain := cfg.NATS.JetStreamDomain; domain != "" {
		js, err = jetstream.NewWithDomain(nc, domain, opt)
	} else {
		js, err = jetstream.New(nc, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return js, nil
}

// RedactURLs returns a NATS URL list (config.NATSURLs) fit for a log line
// or an error: each URL is redacted by store.RedactURL, the one home of URL
// redaction, so no password or token shows.
func RedactURLs(list string) string {
	parts := config.NATSURLs(list)
	for i, part := range parts {
		parts[i] = store.RedactURL(part)
	}
	return strings.Join(parts, ",")
}
