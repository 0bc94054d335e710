package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/proto/backoff"
)

// RedisTransient reports whether err, from connecting to Redis or from a
// command, passes by waiting: the server cannot be reached or dropped the
// connection (backoff.Unreachable), no pooled connection came free in
// time, or the server says it is not ready (LOADING its data set, at its
// client limit, a replica whose master is down, TRYAGAIN). A refused
// login (WRONGPASS, NOAUTH), a permission refused (NOPERM), a certificate
// that does not verify, or anything else fails at once.
func RedisTransient(err error) bool {
	if err == nil || redis.IsAuthError(err) || redis.IsPermissionError(err) {
		return false
	}
	if errors.Is(err, redis.ErrPoolTimeout) || redis.IsLoadingError(err) || redis.IsMaxClientsError(err) ||
		redis.IsMasterDownError(err) || redis.IsTryAgainError(err) || redis.IsClusterDownError(err) {
		return true
	}
	return backoff.Unreachable(err)
}

var redisLogOnce sync.Once

// RedisLog sends the lines the Redis client library logs on its own (a
// pool that failed to dial, on every attempt; it would print them on
// standard error) to log at debug level: the store's errors, and a
// waiting service's one line, say what matters. The library has one
// logger per process: only the first call counts.
func RedisLog(log *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{log}) })
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client: "+strings.TrimSpace(fmt.Sprintf(format, v...)))
}
