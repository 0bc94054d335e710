package mailer

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

func TestInstanceIDLastsAcrossRestartsButIsNeverShared(t *testing.T) {
	dir, log := t.TempDir(), slog.New(slog.DiscardHandler)
	first, release := instanceID(dir, log)
	second, releaseSecond := instanceID(dir, log) // another notifier with the same data_dir
	if first == second {
		t.Fatalf("two live notifiers on one data_dir share the id %s", first)
	}
	release()
	again, releaseAgain := instanceID(dir, log) // the first one, restarted
	defer releaseAgain()
	releaseSecond()
	if again != first {
		t.Errorf("restarted instance has id %s, want its own %s back", again, first)
	}
	if a, b := randomID(t), randomID(t); a == b {
		t.Errorf("without a directory two instances share the id %s", a)
	}
}

func randomID(t *testing.T) string {
	id, release := instanceID("", slog.New(slog.DiscardHandler))
	release()
	return id
}

// TestLeaseTakenBackByTheSameInstance: a leader killed while holding the
// lease leaves its key behind; started again with the same id it holds the
// lease at once, while any other instance must wait for it to expire.
func TestLeaseTakenBackByTheSameInstance(t *testing.T) {
	_, js := localnatstest.Connect(t, localnatstest.Start(t))
	dir, log := t.TempDir(), slog.New(slog.DiscardHandler)
	killed, err := OpenLease(t.Context(), js, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if !killed.hold(t.Context()) {
		t.Fatal("the first instance could not take a free lease")
	}
	killed.unlock() // the process died: its lock went with it, its key did not

	other, err := OpenLease(t.Context(), js, t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer other.release()
	if other.hold(t.Context()) {
		t.Fatal("another instance took a lease held less than its TTL ago")
	}
	restarted, err := OpenLease(t.Context(), js, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if restarted.id != killed.id {
		t.Fatalf("restarted with id %s, want %s", restarted.id, killed.id)
	}
	start := time.Now()
	if !restarted.hold(t.Context()) {
		t.Fatal("the restarted instance did not take its own lease back")
	}
	t.Logf("lease taken back in %v", time.Since(start))
	// It renews it like any lease it took, and gives it up on release.
	restarted.renewed = time.Time{}
	if !restarted.hold(t.Context()) {
		t.Fatal("the lease taken back could not be renewed")
	}
	restarted.release()
	if !other.hold(t.Context()) {
		t.Error("the lease released by the restarted instance could not be taken")
	}
}

// flakyKV is a lease bucket whose creates fail while down is set, as
// they do while NATS cannot be reached.
type flakyKV struct {
	jetstream.KeyValue
	down atomic.Bool
}

func (f *flakyKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	if f.down.Load() {
		return 0, nats.ErrConnectionClosed
	}
	return f.KeyValue.Create(ctx, key, value, opts...)
}

// TestLeaseSaysOnceThatNATSIsAway: a lease that cannot be taken for want
// of NATS says so once, not at every attempt, and once when it is taken.
func TestLeaseSaysOnceThatNATSIsAway(t *testing.T) {
	_, js := localnatstest.Connect(t, localnatstest.Start(t))
	logs := &waittest.Buffer{}
	l, err := OpenLease(t.Context(), js, t.TempDir(), slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer l.release()
	kv := &flakyKV{KeyValue: l.kv}
	kv.down.Store(true)
	l.kv = kv
	for range 3 {
		if l.hold(t.Context()) {
			t.Fatal("lease taken without NATS")
		}
	}
	kv.down.Store(false)
	if !l.hold(t.Context()) {
		t.Fatal("lease not taken once NATS answered")
	}
	for _, line := range []string{`msg="waiting for NATS to take the mailer lease"`, `msg="done waiting for NATS to take the mailer lease"`} {
		if n := strings.Count(logs.String(), line); n != 1 {
			t.Errorf("logged %s %d times, want once:\n%s", line, n, logs.String())
		}
	}
}
