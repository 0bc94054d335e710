package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/linkwatch/linkwatch/notifier/state"
)

var bucketSites = []byte("sites") // name → JSON of state.Site

// CommitSite implements state.Store in one bbolt write transaction.
func (e *Embedded) CommitSite(ctx context.Context, site string, decide func(state.Site) (state.SiteUpdate, error)) error {
	if err := checkDevice(site); err != nil {
		return fmt.Errorf("commit site: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit site %s: %w", site, err)
	}
	err := e.db.Update(func(tx *bolt.Tx) error {
		sites, err := tx.CreateBucketIfNotExists(bucketSites)
		if err != nil {
			return err
		}
		upd, data, err := decideSite(site, sites.Get([]byte(site)), decide)
		if err != nil {
			return err
		}
		if err := sites.Put([]byte(site), data); err != nil {
			return err
		}
		return e.queue(tx, upd.Alerts)
	})
	if errors.Is(err, state.ErrNoUpdate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("commit site %s: %w", site, err)
	}
	return nil
}

// queue puts alerts in the outbox, but none whose id the outbox or the
// dead-letter list already holds.
func (e *Embedded) queue(tx *bolt.Tx, alerts []state.Alert) error {
	for _, a := range alerts {
		if e.outbox.has(tx, a.ID) || e.parked.has(tx, a.ID) {
			continue
		}
		if err := e.outbox.put(tx, a); err != nil {
			return err
		}
	}
	return nil
}

// Sites implements state.Store; bbolt keeps keys sorted.
func (e *Embedded) Sites(ctx context.Context) ([]state.Site, error) {
	return boltRecords[state.Site](e.db, bucketSites, "site")
}

// boltRecords reads every JSON record of bucket (none when it does not
// exist yet), in key order.
func boltRecords[T any](db *bolt.DB, bucket []byte, what string) ([]T, error) {
	var records []T
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var rec T
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode %s %s: %w", what, k, err)
			}
			records = append(records, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", what, err)
	}
	return records, nil
}
