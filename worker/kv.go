package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto/backoff"
)

// kvTimeout bounds one read or write of the login bucket: a bucket that
// does not answer must not hold up probing.
const kvTimeout = 5 * time.Second

// casTries is how many times updateJSON reads a key again after another
// worker changed it between its read and its write.
const casTries = 20

// updateJSON reads the JSON record at key and writes what change makes of
// it only if no one changed the key since: with kv.Create when there was
// none, kv.Update on its revision otherwise. When another worker wrote
// first, it waits a little (with jitter), reads again and calls change again on the fresh record, up to
// casTries times, so change must only look at the record it is given.
// change returns false to leave the key as it is; updateJSON then returns
// revision 0. A record that does not decode is taken as none.
func updateJSON[T any](ctx context.Context, kv jetstream.KeyValue, key string, change func(*T) (bool, error)) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	retry := backoff.Backoff{Initial: 5 * time.Millisecond, Max: 200 * time.Millisecond}
	for range casTries {
		var rec T
		rev, err := readJSON(ctx, kv, key, &rec)
		if err != nil {
			return 0, err
		}
		write, err := change(&rec)
		if err != nil || !write {
			return 0, err
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return 0, fmt.Errorf("encode %s: %w", key, err)
		}
		if rev == 0 {
			rev, err = kv.Create(ctx, key, data)
		} else {
			rev, err = kv.Update(ctx, key, data, rev)
		}
		if err == nil {
			return rev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return 0, fmt.Errorf("write %s: %w", key, err)
		}
		// Another worker wrote first: the writers that collided should
		// not read and write again in step.
		if err := retry.Wait(ctx); err != nil {
			return 0, fmt.Errorf("write %s: %w", key, err)
		}
	}
	return 0, fmt.Errorf("write %s: other workers changed it %d times in a row", key, casTries)
}

// readJSON decodes the record at key into rec and returns its revision, 0
// when there is none. A record that does not decode leaves rec zero.
func readJSON[T any](ctx context.Context, kv jetstream.KeyValue, key string, rec *T) (uint64, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	if json.Unmarshal(e.Value(), rec) != nil {
		var zero T
		*rec = zero
	}
	return e.Revision(), nil
}
