package mailer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
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
// compare-and-set on its revision.
type Lease struct {
	kv      jetstream.KeyValue
	id      string
	rev     uint64
	held    bool
	renewed time.Time // last successful take or renewal
	log     *slog.Logger
}

// OpenLease opens (creating it if need be) the lease bucket in js. The
// lease is not taken yet: Run takes it, and gives it up when it returns.
func OpenLease(ctx context.Context, js jetstream.JetStream, log *slog.Logger) (*Lease, error) {
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
	return &Lease{kv: kv, id: instanceID(), log: log}, nil
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
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) && ctx.Err() == nil {
			l.log.Warn("take mailer lease", "err", err)
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

// release gives the lease up so a standby can take over at once.
func (l *Lease) release() {
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

func instanceID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
