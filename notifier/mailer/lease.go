package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// leaseTTL is how long a mailer lease outlives its holder's last renewal:
// the longest a standby notifier waits to take over from one that died.
// The holder renews at least every leaseRenew.
const (
	leaseTTL   = 15 * time.Second
	leaseRenew = 5 * time.Second
)

// Lease makes one notifier replica the only one that sends email: with
// several notifiers on one Redis, two mailers draining the same outbox
// would send an alert twice. It is a key in a JetStream key-value bucket
// whose entries expire after leaseTTL; the holder renews it with a
// compare-and-set on its revision. Its owner id is stable across
// restarts of one notifier instance (instanceID), so a leader killed and
// started again finds the key naming it and takes it back at once.
type Lease struct {
	kv      jetstream.KeyValue
	id      string
	unlock  func() // gives up the instance id
	rev     uint64
	held    bool
	renewed time.Time // last successful take or renewal
	log     *slog.Logger
	// take is the wait for NATS while the lease cannot be asked for: said
	// once when it starts, once when NATS answers again, not at every
	// attempt (every leaseRenew).
	take *backoff.Waiter
}

// OpenLease opens (creating it if need be) the lease bucket in js. The
// lease is not taken yet: Run takes it, and gives it up when it returns.
// dir keeps the instance's owner id across restarts (see instanceID; ""
// gives a random id for this run only).
func OpenLease(ctx context.Context, js jetstream.JetStream, dir string, log *slog.Logger) (*Lease, error) {
	kv, err := js.KeyValue(ctx, proto.LeaseBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: proto.LeaseBucket,
			Description: "linkwatch leases", TTL: leaseTTL, History: 1, Storage: jetstream.FileStorage})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, proto.LeaseBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open lease bucket: %w", err)
	}
	id, unlock := instanceID(dir, log)
	return &Lease{kv: kv, id: id, unlock: unlock, log: log,
		take: &backoff.Waiter{What: "NATS to take the mailer lease", Log: log}}, nil
}

// hold takes or renews the lease and reports whether this replica holds
// it. A renewal within leaseRenew/2 of the last one is skipped.
func (l *Lease) hold(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false // shutting down: keep what we hold for release
	}
	if l.held && time.Since(l.renewed) < leaseRenew/2 {
		return true
	}
	if l.held {
		if l.renew(ctx) {
			return true
		}
		if ctx.Err() != nil {
			return false // interrupted, not lost: release deletes it
		}
		l.held = false
		l.log.Warn("mailer lease lost; another notifier sends email now")
	}
	rev, err := l.kv.Create(ctx, proto.MailerLease, []byte(l.id))
	if err == nil || errors.Is(err, jetstream.ErrKeyExists) {
		l.take.Done()
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyExists):
		// Ours when this instance held it before a restart: take it back.
		entry, err := l.kv.Get(ctx, proto.MailerLease)
		if err != nil || string(entry.Value()) != l.id {
			return false
		}
		if l.rev = entry.Revision(); !l.renew(ctx) {
			return false
		}
		l.held = true
		l.log.Info("mailer lease taken back from this instance's previous run: this notifier sends email", "id", l.id)
		return true
	case err != nil:
		if ctx.Err() == nil {
			l.take.Retry(fmt.Errorf("take mailer lease: %w", err))
		}
		return false
	}
	l.rev, l.held, l.renewed = rev, true, time.Now()
	l.log.Info("mailer lease taken: this notifier sends email", "id", l.id)
	return true
}

// renew extends the lease. When the compare-and-set fails because our
// revision is out of date (an earlier renewal applied but its answer was
// lost), the key still names us: adopt its revision and try again.
func (l *Lease) renew(ctx context.Context) bool {
	for range 2 {
		rev, err := l.kv.Update(ctx, proto.MailerLease, []byte(l.id), l.rev)
		if err == nil {
			l.rev, l.renewed = rev, time.Now()
			return true
		}
		entry, gerr := l.kv.Get(ctx, proto.MailerLease)
		if gerr != nil || string(entry.Value()) != l.id {
			return false
		}
		l.rev = entry.Revision()
	}
	return false
}

// release gives the lease up so a standby can take over at once, then
// the instance id.
func (l *Lease) release() {
	defer l.unlock()
	if !l.held {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := l.kv.Delete(ctx, proto.MailerLease, jetstream.LastRevision(l.rev)); err != nil {
		l.log.Warn("release mailer lease", "err", err)
	}
	l.held = false
}
