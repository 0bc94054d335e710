package app

import (
	"log/slog"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// The waits of a service for its servers: each names the server (its URL
// without a password); a nil log discards, waits out only what cannot be a configuration
// error, and serves as the service's readiness check while it waits, so a
// service started before NATS or Redis, or cut off from them, is alive and
// not ready instead of gone. The CLI does not wait: it dials once.

// NATSWaiter is the wait of role's connection for the NATS server of cfg
// (NATSURL), and for its JetStream: what proto.Transient accepts is
// waited out.
func NATSWaiter(cfg *config.Config, role proto.Role, log *slog.Logger) *backoff.Waiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &backoff.Waiter{What: "NATS at " + RedactURLs(NATSURL(cfg)), Transient: proto.Transient,
		Log: log.With("role", string(role))}
}

// StoreWaiter is the notifier's wait for Redis at state.redis_url: what
// store.RedisTransient accepts is waited out. The
// Redis client library's own lines go to log at debug level (store.RedisLog).
func StoreWaiter(cfg *config.Config, log *slog.Logger) *backoff.Waiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store.RedisLog(log)
	return &backoff.Waiter{What: "Redis at " + store.RedactURL(cfg.State.RedisURL), Transient: store.RedisTransient, Log: log}
}
