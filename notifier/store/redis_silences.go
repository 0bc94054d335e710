package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// silencesKey is the hash silence ID → JSON of state.Silence.
func (r *Redis) silencesKey() string { return r.prefix + "silences" }

func (r *Redis) readSilences(ctx context.Context, c redis.Cmdable) ([]state.Silence, error) {
	all, err := c.HGetAll(ctx, r.silencesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	ss := make([]state.Silence, 0, len(all))
	for id, v := range all {
		s, err := decodeSilence(id, []byte(v))
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}

// AddSilence implements state.Store: WATCH the hash, count, then
// MULTI/EXEC, so two notifiers adding at once cannot pass the limit.
func (r *Redis) AddSilence(ctx context.Context, s state.Silence, max int) error {
	err := r.watch(ctx, func(tx *redis.Tx) error {
		ss, err := r.readSilences(ctx, tx)
		if err != nil {
			return err
		}
		data, err := newSilence(s, ss, max)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, r.silencesKey(), s.ID, data)
			return nil
		})
		return err
	}, r.silencesKey())
	if err != nil {
		return fmt.Errorf("add silence: %w", err)
	}
	return nil
}

// Silences implements state.Store.
func (r *Redis) Silences(ctx context.Context, since time.Time) ([]state.Silence, error) {
	ss, err := r.readSilences(ctx, r.client)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return sinceSorted(ss, since), nil
}

// ExpireSilence implements state.Store.
func (r *Redis) ExpireSilence(ctx context.Context, id string, at time.Time, by string) (state.Silence, error) {
	var s state.Silence
	err := r.watch(ctx, func(tx *redis.Tx) error {
		data, err := tx.HGet(ctx, r.silencesKey(), id).Bytes()
		if errors.Is(err, redis.Nil) {
			return state.ErrNoSilence
		}
		if err != nil {
			return err
		}
		if s, data, err = expireStored(id, data, at, by); err != nil || data == nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, r.silencesKey(), id, data)
			return nil
		})
		return err
	}, r.silencesKey())
	if err != nil {
		return state.Silence{}, fmt.Errorf("expire silence %s: %w", id, err)
	}
	return s, nil
}

// PruneSilences implements state.Store. An ended silence no longer
// changes, so no transaction is needed.
func (r *Redis) PruneSilences(ctx context.Context, before time.Time) error {
	ss, err := r.readSilences(ctx, r.client)
	if err != nil {
		return fmt.Errorf("prune silences: %w", err)
	}
	var ids []string
	for _, s := range ss {
		if s.End.Before(before) {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := r.client.HDel(ctx, r.silencesKey(), ids...).Err(); err != nil {
		return fmt.Errorf("prune silences: %w", err)
	}
	return nil
}
