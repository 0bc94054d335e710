package proto

import (
	"errors"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto/backoff"
)

// Transient reports whether err, from connecting to NATS or from a
// request to it or to JetStream, passes by waiting: the server cannot be
// reached (no server answers, a dial fails, the connection drops or is
// being made again), a request went unanswered (no responders, a
// timeout: JetStream is not up yet, or the server restarts), or JetStream
// says it is unavailable for now (a 5xx API error). Anything else fails at
// once: a refused login (authorization violation, an expired or revoked
// one), a certificate that does not verify, TLS wanted by one side only,
// a permission violation, a request JetStream refuses (4xx), a bad URL.
// This is the one list of the NATS errors the services wait out
// (backoff.Waiter's Transient).
func Transient(err error) bool {
	if err == nil || permanentNATS(err) {
		return false
	}
	for _, e := range []error{nats.ErrNoServers, nats.ErrTimeout, nats.ErrNoResponders, nats.ErrConnectionReconnecting,
		nats.ErrDisconnected, nats.ErrNoInfoReceived, nats.ErrStaleConnection, jetstream.ErrNoStreamResponse} {
		if errors.Is(err, e) {
			return true
		}
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.Code >= 500
	}
	return backoff.Unreachable(err)
}

// permanentNATS reports whether err is one that waiting cannot cure.
func permanentNATS(err error) bool {
	for _, e := range []error{nats.ErrAuthorization, nats.ErrAuthExpired, nats.ErrAuthRevoked, nats.ErrAccountAuthExpired,
		nats.ErrPermissionViolation, nats.ErrTLS, nats.ErrSecureConnRequired, nats.ErrSecureConnWanted,
		nats.ErrNkeysNotSupported, nats.ErrConnectionClosed, nats.ErrBadSubject} {
		if errors.Is(err, e) {
			return true
		}
	}
	return backoff.TLSFailure(err)
}
