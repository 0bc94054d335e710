package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/linkwatch/linkwatch/notifier/state"
)

var _ state.Store = (*Embedded)(nil)

var (
	bucketDevices = []byte("devices") // name → JSON of state.Device
	// bucketHistory keys are device \x00 timeKey(At) seq, so one device's
	// changes are adjacent and in time order; values are JSON of the Change.
	bucketHistory = []byte("history")
)

// Embedded is a state.Store in one bbolt file, for a single process.
type Embedded struct {
	db     *bolt.DB
	outbox boltQueue
	parked boltQueue
}

// OpenEmbedded opens (creating it and its directory if needed) the state
// file at path. Only one process can hold it open.
func OpenEmbedded(path string) (*Embedded, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("state store %s is locked by another process (is linkwatch already running?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", path, err)
	}
	// A commit waits this long for others to join its transaction: a
	// burst fills each batch while the one before it is synced, and a lone
	// commit is hardly delayed.
	db.MaxBatchDelay = time.Millisecond
	e := &Embedded{
		db:     db,
		outbox: boltQueue{data: []byte("outbox"), order: []byte("outbox.order")},
		parked: boltQueue{data: []byte("parked"), order: []byte("parked.order")},
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDevices, bucketHistory, bucketSilences, e.outbox.data, e.outbox.order, e.parked.data, e.parked.order} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("prepare state store %s: %w", path, err)
	}
	return e, nil
}

// Commit implements state.Store. Commits running at the same time share
// one bbolt write transaction (bolt.DB.Batch), so a burst of results costs
// one sync to disk per batch instead of one per result; each returns only
// once the batch holding it is on disk. Within a batch commits run one
// after the other, so decide always sees the latest record, that of an
// earlier commit of the same device in the batch included.
func (e *Embedded) Commit(ctx context.Context, device string, decide func(state.Device) (state.Update, error)) error {
	if err := checkDevice(device); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit %s: %w", device, err)
	}
	// A decide that fails writes nothing, so its error is kept aside and
	// the batch goes on: an error returned to Batch would roll back every
	// commit of the batch and run them all again. Batch may run the
	// function more than once (again when another one's write fails): the
	// last run counts.
	var decided error
	err := e.db.Batch(func(tx *bolt.Tx) error {
		devices := tx.Bucket(bucketDevices)
		upd, data, err := decideUpdate(device, devices.Get([]byte(device)), decide)
		if decided = err; err != nil {
			return nil
		}
		return e.write(tx, device, upd, data)
	})
	if err == nil {
		err = decided
	}
	if errors.Is(err, state.ErrNoUpdate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", device, err)
	}
	return nil
}

// write puts the device's record data, its changes and its alerts.
func (e *Embedded) write(tx *bolt.Tx, device string, upd state.Update, data []byte) error {
	if err := tx.Bucket(bucketDevices).Put([]byte(device), data); err != nil {
		return err
	}
	if err := putHistory(tx.Bucket(bucketHistory), device, upd.Changes); err != nil {
		return err
	}
	return e.queue(tx, upd.Alerts)
}

func putHistory(b *bolt.Bucket, device string, changes []state.Change) error {
	for _, c := range changes {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode change: %w", err)
		}
		key := append([]byte(device+"\x00"), timeKey(c.At)...)
		key = binary.BigEndian.AppendUint64(key, seq)
		if err := b.Put(key, data); err != nil {
			return err
		}
	}
	return nil
}

// Devices implements state.Store; bbolt keeps keys sorted.
func (e *Embedded) Devices(ctx context.Context) ([]state.Device, error) {
	return boltRecords[state.Device](e.db, bucketDevices, "device")
}

// History implements state.Store, walking the device's keys backwards
// from the newest until since; without a device, every device's, merged.
func (e *Embedded) History(ctx context.Context, device, target string, since time.Time, limit int) ([]state.Change, error) {
	if device == "" {
		return e.fleetHistory(target, since, limit)
	}
	var changes []state.Change
	err := e.db.View(func(tx *bolt.Tx) (err error) {
		changes, err = historyTx(tx, device, target, since, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", device, err)
	}
	return changes, nil
}

func historyTx(tx *bolt.Tx, device, target string, since time.Time, limit int) ([]state.Change, error) {
	var changes []state.Change
	prefix := []byte(device + "\x00")
	c := tx.Bucket(bucketHistory).Cursor()
	k, v := c.Seek([]byte(device + "\x01"))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		if keyTime(k[len(prefix):]).Before(since) {
			break
		}
		var ch state.Change
		if err := json.Unmarshal(v, &ch); err != nil {
			return nil, fmt.Errorf("decode change: %w", err)
		}
		if target != "" && ch.Target != target {
			continue
		}
		if changes = append(changes, ch); limit > 0 && len(changes) == limit {
			break
		}
	}
	return changes, nil
}

// Ping checks that the store is open, for a readiness check.
func (e *Embedded) Ping(context.Context) error {
	if err := e.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("state store: %w", err)
	}
	return nil
}

// Close implements state.Store.
func (e *Embedded) Close() error {
	if err := e.db.Close(); err != nil {
		return fmt.Errorf("close state store: %w", err)
	}
	return nil
}
