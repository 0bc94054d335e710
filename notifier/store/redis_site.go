package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// Site records live under site:<name>, their names in the set sites.
func (r *Redis) siteKey(name string) string { return r.prefix + "site:" + name }

// CommitSite implements state.Store like Commit: WATCH the site's key,
// read, decide, then MULTI/EXEC.
func (r *Redis) CommitSite(ctx context.Context, site string, decide func(state.Site) (state.SiteUpdate, error)) error {
	if err := checkDevice(site); err != nil {
		return fmt.Errorf("commit site: %w", err)
	}
	key := r.siteKey(site)
	err := r.watch(ctx, func(tx *redis.Tx) error {
		stored, err := tx.Get(ctx, key).Bytes()
		switch {
		case errors.Is(err, redis.Nil):
			stored = nil
		case err != nil:
			return fmt.Errorf("read site: %w", err)
		}
		upd, data, err := decideSite(site, stored, decide)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, data, 0)
			p.SAdd(ctx, r.prefix+"sites", site)
			for _, a := range upd.Alerts {
				if err := r.outbox.add(ctx, p, r.parked, a); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}, key)
	if errors.Is(err, state.ErrNoUpdate) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("commit site %s: %w", site, err)
	}
	return nil
}

// Sites implements state.Store.
func (r *Redis) Sites(ctx context.Context) ([]state.Site, error) {
	return redisRecords[state.Site](ctx, r.client, r.prefix+"sites", r.siteKey, "site")
}

// redisRecords reads the JSON records whose names the set holds, each at
// key(name), sorted by name; a record deleted meanwhile is left out.
func redisRecords[T any](ctx context.Context, c redis.Cmdable, set string, key func(string) string, what string) ([]T, error) {
	names, err := c.SMembers(ctx, set).Result()
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", what, err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	slices.Sort(names)
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = key(n)
	}
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read %ss: %w", what, err)
	}
	records := make([]T, 0, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var rec T
		if err := json.Unmarshal([]byte(s), &rec); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", what, names[i], err)
		}
		records = append(records, rec)
	}
	return records, nil
}
