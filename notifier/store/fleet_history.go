package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// The fleet-wide history (History with device "") merges the histories of
// every device: each is read newest first up to limit, then they are
// merged by time and cut to limit. Its cost grows with the number of
// devices times limit (times the whole history since since when limit is
// 0 or a target is given: the API never asks so, it caps the limit and
// refuses a target without a device). A fleet-wide index (one sorted set, or a bbolt
// bucket keyed by time) would make it one range read; not needed yet at
// the fleet sizes linkwatch serves, where it reads a few hundred keys.

// mergeHistory merges per-device histories, each newest first, into one
// newest first (devices in the order given at equal times), at most limit.
func mergeHistory(perDevice [][]state.Change, limit int) []state.Change {
	var all []state.Change
	for _, cs := range perDevice {
		all = append(all, cs...)
	}
	slices.SortStableFunc(all, func(a, b state.Change) int { return b.At.Compare(a.At) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all
}

// fleetHistory is the Embedded store's History of every device.
func (e *Embedded) fleetHistory(target string, since time.Time, limit int) ([]state.Change, error) {
	var perDevice [][]state.Change
	err := e.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDevices).ForEach(func(k, _ []byte) error {
			cs, err := historyTx(tx, string(k), target, since, limit)
			perDevice = append(perDevice, cs)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read fleet history: %w", err)
	}
	return mergeHistory(perDevice, limit), nil
}

// fleetHistory is the Redis store's History of every device, read in one
// pipeline.
func (r *Redis) fleetHistory(ctx context.Context, target string, since time.Time, limit int) ([]state.Change, error) {
	names, err := r.client.SMembers(ctx, r.prefix+"devices").Result()
	if err != nil {
		return nil, fmt.Errorf("read fleet history: list devices: %w", err)
	}
	slices.Sort(names)
	cmds := make([]*redis.StringSliceCmd, len(names))
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, name := range names {
			cmds[i] = p.ZRangeArgs(ctx, r.historyArgs(name, target, since, limit))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read fleet history: %w", err)
	}
	perDevice := make([][]state.Change, len(names))
	for i, cmd := range cmds {
		if perDevice[i], err = parseHistory(names[i], cmd.Val(), target, since, limit); err != nil {
			return nil, err
		}
	}
	return mergeHistory(perDevice, limit), nil
}
