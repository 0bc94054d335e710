package backoff

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWaiterDo waits out transient errors, saying so once and once when
// done, and checks as not ready until then.
func TestWaiterDo(t *testing.T) {
	var logs bytes.Buffer
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	w := &Waiter{What: "NATS at nats://127.0.0.1:4222", Transient: Unreachable,
		Log: slog.New(slog.NewTextHandler(&logs, nil)), Backoff: Backoff{Initial: time.Millisecond, Max: time.Millisecond}}
	if err := w.Check(t.Context()); err == nil || err.Error() != "waiting for NATS at nats://127.0.0.1:4222" {
		t.Errorf("Check before any attempt = %v", err)
	}
	tries := 0
	err := w.Do(t.Context(), func(context.Context) error {
		tries++
		if tries < 4 {
			if err := w.Check(t.Context()); tries > 1 && (err == nil || !strings.HasSuffix(err.Error(), "connection refused")) {
				t.Errorf("Check while waiting = %v, want the last error", err)
			}
			return refused
		}
		return nil
	})
	if err != nil || tries != 4 {
		t.Fatalf("Do = %v after %d tries, want nil after 4", err, tries)
	}
	if err := w.Check(t.Context()); err != nil {
		t.Errorf("Check once done = %v", err)
	}
	if w.Waiting() {
		t.Error("Waiting once done")
	}
	out := logs.String()
	if n := strings.Count(out, `msg="waiting for NATS at nats://127.0.0.1:4222"`); n != 1 {
		t.Errorf("logged the wait %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, `msg="done waiting for NATS at nats://127.0.0.1:4222"`); n != 1 {
		t.Errorf("logged the end of the wait %d times, want once:\n%s", n, out)
	}
}

// TestWaiterPermanent ends at once on an error that is not transient,
// and on ctx ending, naming what it waited for.
func TestWaiterPermanent(t *testing.T) {
	denied := errors.New("nats: authorization violation")
	w := &Waiter{What: "NATS", Transient: Unreachable}
	tries := 0
	if err := w.Do(t.Context(), func(context.Context) error { tries++; return denied }); !errors.Is(err, denied) || tries != 1 {
		t.Errorf("Do = %v after %d tries, want the error after 1", err, tries)
	}
	if err := w.Check(t.Context()); err == nil || !strings.Contains(err.Error(), "authorization violation") {
		t.Errorf("Check after a permanent error = %v", err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err := w.Do(ctx, func(context.Context) error { return io.EOF })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "waiting for NATS") {
		t.Errorf("Do until ctx ends = %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{&net.DNSError{Err: "no such host", Name: "nats", IsNotFound: true}, true},
		{fmt.Errorf("read: %w", io.EOF), true},
		{context.DeadlineExceeded, true},
		{&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}, false},
		{&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, false},
		{x509.HostnameError{Host: "nats.example.net", Certificate: &x509.Certificate{}}, false},
		{errors.New("nats: authorization violation"), false},
		{nil, false},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("Unreachable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestWaiterReset: a wait given up (the work went elsewhere) is no longer
// waiting and logs nothing; the next failure starts a new wait.
func TestWaiterReset(t *testing.T) {
	var logs strings.Builder
	w := &Waiter{What: "the mail server", Log: slog.New(slog.NewTextHandler(&logs, nil))}
	w.Retry(errors.New("connection refused"))
	w.Reset()
	if w.Waiting() {
		t.Error("Waiting after Reset")
	}
	w.Retry(errors.New("connection refused"))
	if n := strings.Count(logs.String(), `msg="waiting for the mail server"`); n != 2 || strings.Contains(logs.String(), "done waiting") {
		t.Errorf("logged %d waits, want 2 and no end:\n%s", n, logs.String())
	}
}
