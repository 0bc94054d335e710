package worker

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh"
)

// classifyOpen turns an error from opening the session into a failure kind,
// from the stage that failed and typed errors, never from message text.
func classifyOpen(ctx context.Context, t *sshTransport, err error) FailureKind {
	if je, ok := asJumpError(err); ok {
		return je.kind(ctx) // the device was not reached
	}
	if t.overflow.Load() {
		return FailureCLI
	}
	if ee := (*enableError)(nil); errors.As(err, &ee) {
		if ee.auth {
			return FailureAuth
		}
		return FailureCLI
	}
	if hk := t.hostKeyError.Load(); hk != nil {
		if errors.As(*hk, new(*hostKeySourceError)) {
			// The policy could not tell (pins unreadable): the worker's
			// failure, not the device's.
			return FailureInternal
		}
		// Our host key check refused the key: changed, or not in known_hosts.
		return FailureHostKeyMismatch
	}
	if ctx.Err() != nil {
		return FailureTimeout
	}
	var de *dialError
	if errors.As(err, &de) {
		return classifyDial(de.err)
	}
	var he *handshakeError
	if errors.As(err, &he) {
		switch {
		case errors.As(he.err, new(*ssh.AlgorithmNegotiationError)):
			return FailureSSHNegotiation
		case isTimeout(he.err):
			return FailureTimeout
		case t.authOffered.Load():
			// The server asked for our password and then closed the
			// handshake: it refused the credentials.
			return FailureAuth
		default:
			return FailureRefused
		}
	}
	if isTimeout(err) || errors.Is(err, util.ErrTimeoutError) {
		// No prompt in time: the login or a setup command never came back.
		return FailureTimeout
	}
	return FailureCLI
}

func classifyDial(err error) FailureKind {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return FailureRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EADDRNOTAVAIL), errors.As(err, &dnsErr):
		return FailureUnreachable
	case isTimeout(err), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return FailureTimeout
	default:
		return FailureUnreachable
	}
}

// classifyCommand turns an error from a command on an open session into a
// failure kind.
func classifyCommand(ctx context.Context, t *sshTransport, err error) FailureKind {
	switch {
	case t.overflow.Load():
		return FailureCLI
	case ctx.Err() != nil, errors.Is(err, util.ErrTimeoutError), isTimeout(err):
		return FailureTimeout
	default:
		// The session dropped or the CLI misbehaved.
		return FailureCLI
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, os.ErrDeadlineExceeded)
}
