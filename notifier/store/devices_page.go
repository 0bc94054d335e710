package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// DevicesAfter implements state.Store: bbolt keeps keys sorted, so a page
// is a seek and n steps of a cursor.
func (e *Embedded) DevicesAfter(ctx context.Context, after string, n int) ([]state.Device, error) {
	var devs []state.Device
	err := e.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDevices).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && (n <= 0 || len(devs) < n); k, v = c.Next() {
			var d state.Device
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("decode device %s: %w", k, err)
			}
			devs = append(devs, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list devices after %q: %w", after, err)
	}
	return devs, nil
}

// DevicesAfter implements state.Store. The names are a set: they are all
// read and sorted (a few bytes each), and only the page's records are
// fetched.
func (r *Redis) DevicesAfter(ctx context.Context, after string, n int) ([]state.Device, error) {
	names, err := r.client.SMembers(ctx, r.prefix+"devices").Result()
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	slices.Sort(names)
	i, found := slices.BinarySearch(names, after)
	if found {
		i++
	}
	names = names[i:]
	if n > 0 && len(names) > n {
		names = names[:n]
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
	devs := make([]state.Device, 0, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // removed since the names were read
		}
		var d state.Device
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			return nil, fmt.Errorf("decode device %s: %w", names[i], err)
		}
		devs = append(devs, d)
	}
	return devs, nil
}
