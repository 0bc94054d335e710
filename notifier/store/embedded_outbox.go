package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// boltQueue is a list of alerts in two buckets: data maps id → JSON, and
// order maps timeKey(Created) id → id, so that a cursor walks the alerts
// by Created and then id.
type boltQueue struct {
	data, order []byte
}

func queueKey(a state.Alert) []byte { return append(timeKey(a.Created), a.ID...) }

func (q boltQueue) has(tx *bolt.Tx, id string) bool {
	return tx.Bucket(q.data).Get([]byte(id)) != nil
}

func (q boltQueue) put(tx *bolt.Tx, a state.Alert) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	if err := tx.Bucket(q.data).Put([]byte(a.ID), data); err != nil {
		return err
	}
	return tx.Bucket(q.order).Put(queueKey(a), []byte(a.ID))
}

// get reads alert id; ok is false when q does not hold it.
func (q boltQueue) get(tx *bolt.Tx, id string) (a state.Alert, ok bool, err error) {
	data := tx.Bucket(q.data).Get([]byte(id))
	if data == nil {
		return a, false, nil
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, false, fmt.Errorf("decode alert %s: %w", id, err)
	}
	return a, true, nil
}

func (q boltQueue) del(tx *bolt.Tx, a state.Alert) error {
	if err := tx.Bucket(q.data).Delete([]byte(a.ID)); err != nil {
		return err
	}
	return tx.Bucket(q.order).Delete(queueKey(a))
}

// list returns up to limit alerts of q in order (all when limit <= 0).
func (q boltQueue) list(tx *bolt.Tx, limit int) ([]state.Alert, error) {
	var alerts []state.Alert
	c := tx.Bucket(q.order).Cursor()
	for k, id := c.First(); k != nil && (limit <= 0 || len(alerts) < limit); k, id = c.Next() {
		a, ok, err := q.get(tx, string(id))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("alert %s is ordered but missing", id)
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
}

// Outbox implements state.Store.
func (e *Embedded) Outbox(ctx context.Context, limit int) ([]state.Alert, error) {
	var alerts []state.Alert
	err := e.db.View(func(tx *bolt.Tx) (err error) {
		alerts, err = e.outbox.list(tx, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return alerts, nil
}

// Parked implements state.Store.
func (e *Embedded) Parked(ctx context.Context) ([]state.Alert, error) {
	var alerts []state.Alert
	err := e.db.View(func(tx *bolt.Tx) (err error) {
		alerts, err = e.parked.list(tx, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read parked alerts: %w", err)
	}
	return alerts, nil
}

// Ack implements state.Store.
func (e *Embedded) Ack(ctx context.Context, ids ...string) error {
	err := e.db.Update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			a, ok, err := e.outbox.get(tx, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := e.outbox.del(tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack alerts: %w", err)
	}
	return nil
}

// Retry implements state.Store. An id not in the outbox is ignored.
func (e *Embedded) Retry(ctx context.Context, id string, lastErr string) error {
	err := e.db.Update(func(tx *bolt.Tx) error {
		a, ok, err := e.outbox.get(tx, id)
		if !ok || err != nil {
			return err
		}
		a.Attempts++
		a.LastError = lastErr
		return e.outbox.put(tx, a)
	})
	if err != nil {
		return fmt.Errorf("record failed delivery of %s: %w", id, err)
	}
	return nil
}

// Park implements state.Store. The reason becomes the alert's LastError.
// An id not in the outbox is ignored.
func (e *Embedded) Park(ctx context.Context, id string, reason string) error {
	err := e.db.Update(func(tx *bolt.Tx) error {
		a, ok, err := e.outbox.get(tx, id)
		if !ok || err != nil {
			return err
		}
		if err := e.outbox.del(tx, a); err != nil {
			return err
		}
		a.LastError = reason
		return e.parked.put(tx, a)
	})
	if err != nil {
		return fmt.Errorf("park alert %s: %w", id, err)
	}
	return nil
}
