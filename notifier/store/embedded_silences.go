package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// bucketSilences maps a silence ID to the JSON of the state.Silence.
var bucketSilences = []byte("silences")

func readSilences(tx *bolt.Tx) ([]state.Silence, error) {
	var ss []state.Silence
	err := tx.Bucket(bucketSilences).ForEach(func(k, v []byte) error {
		s, err := decodeSilence(string(k), v)
		ss = append(ss, s)
		return err
	})
	return ss, err
}

// AddSilence implements state.Store in one write transaction.
func (e *Embedded) AddSilence(ctx context.Context, s state.Silence, max int) error {
	err := e.db.Update(func(tx *bolt.Tx) error {
		ss, err := readSilences(tx)
		if err != nil {
			return err
		}
		data, err := newSilence(s, ss, max)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSilences).Put([]byte(s.ID), data)
	})
	if err != nil {
		return fmt.Errorf("add silence: %w", err)
	}
	return nil
}

// Silences implements state.Store.
func (e *Embedded) Silences(ctx context.Context, since time.Time) ([]state.Silence, error) {
	var ss []state.Silence
	err := e.db.View(func(tx *bolt.Tx) (err error) {
		ss, err = readSilences(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return sinceSorted(ss, since), nil
}

// ExpireSilence implements state.Store.
func (e *Embedded) ExpireSilence(ctx context.Context, id string, at time.Time, by string) (state.Silence, error) {
	var s state.Silence
	err := e.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSilences)
		data := b.Get([]byte(id))
		if data == nil {
			return state.ErrNoSilence
		}
		var err error
		if s, data, err = expireStored(id, data, at, by); err != nil || data == nil {
			return err
		}
		return b.Put([]byte(id), data)
	})
	if err != nil {
		return state.Silence{}, fmt.Errorf("expire silence %s: %w", id, err)
	}
	return s, nil
}

// PruneSilences implements state.Store.
func (e *Embedded) PruneSilences(ctx context.Context, before time.Time) error {
	err := e.db.Update(func(tx *bolt.Tx) error {
		ss, err := readSilences(tx)
		if err != nil {
			return err
		}
		for _, s := range ss {
			if s.End.Before(before) {
				if err := tx.Bucket(bucketSilences).Delete([]byte(s.ID)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("prune silences: %w", err)
	}
	return nil
}
