package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// decodeDevices decodes the records of a page of devices.
func decodeDevices(raw []state.RawDevice) ([]state.Device, error) {
	devs := make([]state.Device, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r.JSON, &devs[i]); err != nil {
			return nil, fmt.Errorf("decode device %s: %w", r.Name, err)
		}
	}
	return devs, nil
}

// DevicesAfter implements state.Store: RawDevicesAfter, decoded.
func (e *Embedded) DevicesAfter(ctx context.Context, after string, n int) ([]state.Device, error) {
	raw, err := e.RawDevicesAfter(ctx, after, n)
	if err != nil {
		return nil, err
	}
	return decodeDevices(raw)
}

// RawDevicesAfter implements state.Store: bbolt keeps keys sorted, so a
// page is a seek and n steps of a cursor.
func (e *Embedded) RawDevicesAfter(ctx context.Context, after string, n int) ([]state.RawDevice, error) {
	var devs []state.RawDevice
	err := e.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDevices).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && (n <= 0 || len(devs) < n); k, v = c.Next() {
			// v is bbolt's memory, valid only in this transaction.
			devs = append(devs, state.RawDevice{Name: string(k), JSON: bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list devices after %q: %w", after, err)
	}
	return devs, nil
}

// namesKey is the sorted set of the device names, all of score 0, so
// that a page of names is one range read by name (the devices set has no
// order).
func (r *Redis) namesKey() string { return r.prefix + "device-names" }

// DevicesAfter implements state.Store: RawDevicesAfter, decoded.
func (r *Redis) DevicesAfter(ctx context.Context, after string, n int) ([]state.Device, error) {
	raw, err := r.RawDevicesAfter(ctx, after, n)
	if err != nil {
		return nil, err
	}
	return decodeDevices(raw)
}

// RawDevicesAfter implements state.Store: a range of the names index,
// then the page's records. A store written before the index existed has
// it filled at the first read.
func (r *Redis) RawDevicesAfter(ctx context.Context, after string, n int) ([]state.RawDevice, error) {
	if err := r.fillNames(ctx); err != nil {
		return nil, err
	}
	args := redis.ZRangeArgs{Key: r.namesKey(), Start: "-", Stop: "+", ByLex: true}
	if after != "" {
		args.Start = "(" + after
	}
	if n > 0 {
		args.Count = int64(n)
	}
	names, err := r.client.ZRangeArgs(ctx, args).Result()
	if err != nil {
		return nil, fmt.Errorf("list devices after %q: %w", after, err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	keys := make([]string, len(names))
	for i, name := range names {
		keys[i] = r.deviceKey(name)
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read devices after %q: %w", after, err)
	}
	devs := make([]state.RawDevice, 0, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // removed since the names were read
		}
		devs = append(devs, state.RawDevice{Name: names[i], JSON: []byte(s)})
	}
	return devs, nil
}

// fillNames adds to the names index the devices it lacks, when it has
// fewer than the devices set: commits add to both at once.
func (r *Redis) fillNames(ctx context.Context) error {
	var indexed, stored *redis.IntCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		indexed, stored = p.ZCard(ctx, r.namesKey()), p.SCard(ctx, r.prefix+"devices")
		return nil
	})
	if err != nil {
		return fmt.Errorf("count devices: %w", err)
	}
	if indexed.Val() >= stored.Val() {
		return nil
	}
	names, err := r.client.SMembers(ctx, r.prefix+"devices").Result()
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	members := make([]redis.Z, len(names))
	for i, name := range names {
		members[i] = redis.Z{Member: name}
	}
	if err := r.client.ZAdd(ctx, r.namesKey(), members...).Err(); err != nil {
		return fmt.Errorf("index device names: %w", err)
	}
	return nil
}
