package store

import (
	"errors"

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
