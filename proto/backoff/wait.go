package backoff

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Waiter retries a step that needs another server (connecting to NATS or
// Redis, creating a stream, sending an email) for as long as the server
// is unreachable, so that a service started before its servers, or
// cut off from them, waits instead of ending. It says what it waits for
// once, when the first attempt fails, and once more when an attempt
// works; meanwhile Check, a readiness check, says why it is waiting.
//
// Set What ("NATS at nats://127.0.0.1:4222") and Transient; the zero
// Backoff waits 250ms at first, then longer, up to 10s. A Waiter is safe
// for concurrent use: several loops may report to one (Retry, Done), and
// Check may be called from anywhere.
type Waiter struct {
	// What names what is waited for, in the log and in Check.
	What string
	// Transient reports whether an error is worth waiting out: the server
	// is unreachable, or not ready yet. Any other error (a refused login,
	// a bad certificate) ends Do at once. nil waits out every error.
	Transient func(error) bool
	// Log receives the two lines; nil discards.
	Log *slog.Logger
	// Backoff spaces the attempts; zero Initial and Max give 250ms..10s.
	Backoff Backoff

	mu      sync.Mutex
	done    bool      // the last attempt worked
	last    error     // the last failed attempt's error, while waiting
	waiting time.Time // when the first failure of this wait was seen; zero: not waiting
}

// Do calls try until it returns nil, or an error that is not Transient,
// or ctx ends; between two attempts it waits as Backoff says. It returns
// nil, try's error that is not transient, or ctx's error wrapped with the
// last error try gave.
func (w *Waiter) Do(ctx context.Context, try func(context.Context) error) error {
	w.begin()
	for {
		err := try(ctx)
		if err == nil {
			w.Done()
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("waiting for %s: %w (last error: %v)", w.What, cerr, err)
		}
		if w.Transient != nil && !w.Transient(err) {
			w.fail(err)
			return err
		}
		if err := Sleep(ctx, w.Retry(err)); err != nil {
			return fmt.Errorf("waiting for %s: %w", w.What, err)
		}
	}
}

// begin marks the Waiter as not done, before a first attempt.
func (w *Waiter) begin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = false
}

func (w *Waiter) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done, w.last = false, err
}

// Retry records a transient failure of an attempt and returns how long to
// wait before the next one. The first failure of a wait is logged, saying
// what is waited for; the next ones are not (Check gives the last).
func (w *Waiter) Retry(err error) time.Duration {
	w.mu.Lock()
	first := w.waiting.IsZero()
	if first {
		w.waiting = time.Now()
	}
	w.done, w.last = false, err
	w.fill()
	d := w.Backoff.Next()
	w.mu.Unlock()
	if first {
		w.logger().Warn("waiting for "+w.What, "err", err)
	}
	return d
}

// Done records that an attempt worked: it logs the end of a wait, when
// there was one, and starts the waits over for the next.
func (w *Waiter) Done() {
	w.mu.Lock()
	since := w.waiting
	w.done, w.last, w.waiting = true, nil, time.Time{}
	w.Backoff.Reset()
	w.mu.Unlock()
	if !since.IsZero() {
		w.logger().Info("done waiting for "+w.What, "waited", time.Since(since).Round(time.Millisecond))
	}
}

// Reset ends a wait that is no longer the caller's (the work went to
// another replica) without an attempt having worked: Waiting is false
// again, the backoff starts over, and nothing is logged.
func (w *Waiter) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done, w.last, w.waiting = false, nil, time.Time{}
	w.Backoff.Reset()
}

// Waiting reports whether an attempt failed since the last one that
// worked.
func (w *Waiter) Waiting() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.waiting.IsZero()
}

// Check is a readiness check: nil once an attempt worked, until one
// fails again; else it says what is waited for and the last error.
func (w *Waiter) Check(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.done:
		return nil
	case w.last != nil:
		return fmt.Errorf("waiting for %s: %w", w.What, w.last)
	default:
		return fmt.Errorf("waiting for %s", w.What)
	}
}

func (w *Waiter) fill() {
	if w.Backoff.Initial == 0 && w.Backoff.Max == 0 {
		w.Backoff.Initial, w.Backoff.Max = 250*time.Millisecond, 10*time.Second
	}
}

func (w *Waiter) logger() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

// Unreachable reports whether err says only that a server could not be
// reached or dropped the connection: a failed dial (refused, no route, a
// name that does not resolve yet), a timeout, a connection closed or reset.
// Those pass. A TLS failure is not unreachability, even when it comes as a
// network error: a certificate that does not verify, or the server's
// alert refusing ours, is configuration, and does not pass by waiting.
func Unreachable(err error) bool {
	if err == nil || TLSFailure(err) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// TLSFailure reports whether err is a TLS handshake that failed on a
// certificate: ours refused by the server (its alert), or its not
// verified by us.
func TLSFailure(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
		op        *net.OpError
	)
	if errors.As(err, &verify) || errors.As(err, &unknownCA) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) || errors.As(err, &alert) {
		return true
	}
	// crypto/tls reports an alert the server sent as a net.OpError whose
	// Op is "remote error".
	return errors.As(err, &op) && op.Op == "remote error"
}
