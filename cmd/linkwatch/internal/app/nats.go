package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto"
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

// natsLogin returns the options that log in and set up TLS as the nats
// section says, or with role's key of a local `linkwatch run` when it says
// nothing. Files holding a secret must be private to their owner
// (config.CheckPrivate); the TLS files are loaded once now so that a bad
// one is named by its key, and again by nats.go at each connection.
func natsLogin(cfg *config.Config, role proto.Role) ([]nats.Option, error) {
	n := cfg.NATS
	var opts []nats.Option
	switch {
	case n.URL == "" && n.User == "" && n.NkeySeedFile == "" && n.CredsFile == "":
		keys := BusKeys(cfg)
		if _, err := keys.Seed(role); err != nil {
			return nil, fmt.Errorf("log in to linkwatch run's nats as %s: %w (linkwatch run creates the keys at its first start; "+
				"run this as the same user, or set nats.nkey_seed_file to a key from linkwatch creds export)", role, err)
		}
		opt, err := nats.NkeyOptionFromSeed(keys.SeedFile(role))
		if err != nil {
			return nil, fmt.Errorf("log in to linkwatch run's nats as %s: %w", role, err)
		}
		opts = append(opts, opt)
	case n.User != "":
		password, err := cfg.NATSPassword()
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserInfo(n.User, password))
	case n.NkeySeedFile != "":
		if err := config.CheckPrivate(n.NkeySeedFile); err != nil {
			return nil, fmt.Errorf("nats.nkey_seed_file: %w", err)
		}
		opt, err := nats.NkeyOptionFromSeed(n.NkeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats.nkey_seed_file: %w", err)
		}
		opts = append(opts, opt)
	case n.CredsFile != "":
		if err := config.CheckPrivate(n.CredsFile); err != nil {
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
		if err := config.CheckPrivate(n.KeyFile); err != nil {
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

// Connect dials NATS for a service as role (Dial). The scheduler and the
// notifier, who keep the streams, make sure they exist for the configured
// interval; workers wait for them (worker.Service binds when they appear).
func Connect(ctx context.Context, cfg *config.Config, role proto.Role, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := Dial(ctx, cfg, role, "linkwatch "+string(role), log)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	if role == proto.RoleScheduler || role == proto.RoleNotifier {
		if err := proto.EnsureStreams(ctx, js, cfg.Interval, 1); err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
	return nc, js, nil
}

// RedactURLs returns a NATS URL list (URLs separated by commas, as nats.go
// splits it) fit for a log line or an error: each URL is redacted by
// store.RedactURL, the one home of URL redaction, so no password or token
// shows. A URL without a scheme gets the nats:// that nats.go gives it.
func RedactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if !strings.Contains(part, "://") {
			part = "nats://" + part
		}
		parts[i] = store.RedactURL(part)
	}
	return strings.Join(parts, ",")
}
