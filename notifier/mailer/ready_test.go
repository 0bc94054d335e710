package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// flakyOutbox is an outbox whose reads fail while down is set, as a store
// that restarts does.
type flakyOutbox struct {
	state.Store
	down atomic.Bool
}

func (f *flakyOutbox) Outbox(ctx context.Context, limit int) ([]state.Alert, error) {
	if f.down.Load() {
		return nil, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return f.Store.Outbox(ctx, limit)
}

// runMailer runs m until the test ends.
func runMailer(t *testing.T, m *mailer.Mailer, lease *mailer.Lease) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, lease) }()
	t.Cleanup(func() { cancel(); <-done })
}

// TestReadyFollowsTheStore: an idle leader that cannot read the outbox is
// not ready and blames the store, not the mail server; once the store
// answers again it is ready, without any email having to go out.
func TestReadyFollowsTheStore(t *testing.T) {
	out, s, logs := &flakyOutbox{Store: outbox(t, 0)}, &sender{}, &waittest.Buffer{}
	m := mailer.New(out, s, mailer.Config{From: "lw@example.net", To: []string{"noc@example.net"},
		IdlePoll: 20 * time.Millisecond, Log: slog.New(slog.NewTextHandler(logs, nil))})
	out.down.Store(true)
	runMailer(t, m, nil)
	waittest.For(t, 10*time.Second, func() error {
		want := "waiting for the store to read the alert outbox: read outbox: dial tcp 127.0.0.1:6379: connect: connection refused"
		if err := m.Ready(t.Context()); err == nil || err.Error() != want {
			return fmt.Errorf("Ready = %v, want %q", err, want)
		}
		return nil
	})
	out.down.Store(false)
	waittest.For(t, 10*time.Second, func() error { return m.Ready(t.Context()) })
	if n := s.emails(); n != 0 {
		t.Errorf("%d emails sent from an empty outbox", n)
	}
	for _, line := range []string{`msg="waiting for the store to read the alert outbox"`, `msg="done waiting for the store to read the alert outbox"`} {
		if n := strings.Count(logs.String(), line); n != 1 {
			t.Errorf("logged %s %d times, want once:\n%s", line, n, logs.String())
		}
	}
	if strings.Contains(logs.String(), "mail server") {
		t.Errorf("the mail server was blamed for the store:\n%s", logs.String())
	}
}

// TestStandbyIsReady: a leader whose sends failed is not ready; once it
// lost the lease to another notifier it sends nothing, and is ready.
func TestStandbyIsReady(t *testing.T) {
	_, js := localnatstest.Connect(t, localnatstest.Start(t))
	log := slog.New(slog.DiscardHandler)
	lease, err := mailer.OpenLease(t.Context(), js, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	s := &sender{err: errors.New("dial tcp 127.0.0.1:25: connect: connection refused")}
	m := mailer.New(outbox(t, 1), s, mailer.Config{From: "lw@example.net", To: []string{"noc@example.net"}, Log: log})
	runMailer(t, m, lease)
	waittest.For(t, 10*time.Second, func() error {
		if err := m.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "waiting for the mail server to deliver alerts") {
			return fmt.Errorf("Ready = %v, want it waiting for the mail server", err)
		}
		return nil
	})
	kv, err := js.KeyValue(t.Context(), proto.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), proto.MailerLease, []byte("another-notifier")); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 20*time.Second, func() error { return m.Ready(t.Context()) })
}
