package proto

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto/backoff"
)

// The key-value buckets the workers of a site share. The scheduler keeps
// them (EnsureBuckets at start); each worker role may read and write only
// the keys of its own site, which start with "<site>.".
const (
	// HostKeyBucket holds the host key pinned for each device on first
	// contact (trust on first use): key HostKeyKey(site, device).
	HostKeyBucket = "linkwatch_hostkeys"
	// LoginBucket coordinates logins across a site's workers: one session
	// per device at a time (SessionKey), the site's slots for persistent
	// sessions (SlotKey), and credentials paused after
	// several devices refused them (CredentialKey).
	LoginBucket = "linkwatch_logins"
)

// HostKeyKey is the key of a device's pinned host key: "<site>.<device>".
func HostKeyKey(site, device string) (string, error) {
	return siteKey("host key", site, "", device)
}

// SessionKey is the key of the lock on a device's SSH session:
// "<site>.session.<device>".
func SessionKey(site, device string) (string, error) {
	return siteKey("session", site, "session", device)
}

// SlotKey is the key of one of a site's slots for persistent sessions,
// numbered from 0: "<site>.slot.<n>". A worker keeps a persistent session
// open only while it holds one, which caps them per site.
func SlotKey(site string, n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("slot key: %d is negative", n)
	}
	return siteKey("slot", site, "slot", fmt.Sprint(n))
}

// CredentialKey is the key of what a site knows of a credential's refusals:
// "<site>.credential.<name>".
func CredentialKey(site, credential string) (string, error) {
	return siteKey("credential", site, "credential", credential)
}

// siteKey builds "<site>[.<kind>].<name>" from checked names, so that no
// name can reach into another site's keys.
func siteKey(what, site, kind, name string) (string, error) {
	if err := ValidName(site); err != nil {
		return "", fmt.Errorf("%s key: site %w", what, err)
	}
	if err := ValidName(name); err != nil {
		return "", fmt.Errorf("%s key: %w", what, err)
	}
	if kind == "" {
		return site + "." + name, nil
	}
	return site + "." + kind + "." + name, nil
}

// bucketConfigs are the shared buckets as the scheduler creates them. Host
// keys keep a few revisions, so a forgotten or replaced pin can still be
// read back; login records are short-lived and carry their own expiry, the
// bucket's age limit only sweeps what a crashed worker left.
func bucketConfigs(replicas int) []jetstream.KeyValueConfig {
	if replicas < 1 {
		replicas = 1
	}
	return []jetstream.KeyValueConfig{
		{Bucket: HostKeyBucket, Description: "linkwatch: device host keys pinned on first contact",
			History: 5, Storage: jetstream.FileStorage, Replicas: replicas},
		{Bucket: LoginBucket, Description: "linkwatch: session locks and paused credentials of each site",
			History: 1, TTL: 24 * time.Hour, Storage: jetstream.FileStorage, Replicas: replicas},
	}
}

// EnsureBuckets creates the workers' shared buckets when they do not exist.
// An existing bucket is left as it is.
func EnsureBuckets(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, cfg := range bucketConfigs(replicas) {
		if _, err := js.KeyValue(ctx, cfg.Bucket); err == nil {
			continue
		} else if !errors.Is(err, jetstream.ErrBucketNotFound) {
			return fmt.Errorf("look up bucket %s: %w", cfg.Bucket, err)
		}
		if _, err := js.CreateKeyValue(ctx, cfg); err != nil && !errors.Is(err, jetstream.ErrBucketExists) {
			return fmt.Errorf("create bucket %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

// OpenBucket binds to a shared bucket, waiting for its keeper to create it,
// and for NATS while it cannot be reached (Transient), until ctx ends.
func OpenBucket(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.KeyValue, error) {
	wait := &backoff.Waiter{What: "bucket " + bucket + " (the scheduler creates it)", Backoff: backoff.Backoff{Initial: time.Second, Max: 5 * time.Second},
		Transient: func(err error) bool { return errors.Is(err, jetstream.ErrBucketNotFound) || Transient(err) }}
	var kv jetstream.KeyValue
	err := wait.Do(ctx, func(ctx context.Context) (err error) {
		kv, err = js.KeyValue(ctx, bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	return kv, nil
}
