package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// A history member is "<ns within the ms>:<seq>:<JSON of the change>": the
// sequence number, from the seq counter, keeps equal changes apart and orders
// changes of the same time by commit.
const historyHead = len("000000:00000000000000000000:")

// historyMembers encodes changes as members of a device's history set.
func (r *Redis) historyMembers(ctx context.Context, tx *redis.Tx, changes []state.Change) ([]redis.Z, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	last, err := tx.IncrBy(ctx, r.prefix+"seq", int64(len(changes))).Result()
	if err != nil {
		return nil, fmt.Errorf("number history entries: %w", err)
	}
	seq := last - int64(len(changes))
	members := make([]redis.Z, len(changes))
	for i, c := range changes {
		data, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode change: %w", err)
		}
		seq++
		score, subMs := scoreMs(c.At)
		members[i] = redis.Z{Score: score, Member: fmt.Sprintf("%s:%020d:%s", subMs, seq, data)}
	}
	return members, nil
}

// History implements state.Store. With a target the device's whole
// history since since is read and filtered here; without a device, every
// device's history is read (limit changes at most of each, in one round
// trip) and merged.
func (r *Redis) History(ctx context.Context, device, target string, since time.Time, limit int) ([]state.Change, error) {
	if device == "" {
		return r.fleetHistory(ctx, target, since, limit)
	}
	members, err := r.client.ZRangeArgs(ctx, r.historyArgs(device, target, since, limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", device, err)
	}
	return parseHistory(device, members, target, since, limit)
}

// historyArgs reads device's history at or after since, newest first.
func (r *Redis) historyArgs(device, target string, since time.Time, limit int) redis.ZRangeArgs {
	args := redis.ZRangeArgs{Key: r.historyKey(device), Start: "+inf", Stop: "-inf", ByScore: true, Rev: true}
	if !since.IsZero() {
		args.Stop = formatScore(since)
	}
	if target == "" && limit > 0 {
		args.Count = int64(limit)
	}
	return args
}

// parseHistory decodes the members historyArgs read, keeping those of
// target (all when "") at or after since, at most limit.
func parseHistory(device string, members []string, target string, since time.Time, limit int) ([]state.Change, error) {
	var changes []state.Change
	for _, m := range members {
		if len(m) < historyHead {
			return nil, fmt.Errorf("read history of %s: malformed entry %q", device, m)
		}
		var c state.Change
		if err := json.Unmarshal([]byte(m[historyHead:]), &c); err != nil {
			return nil, fmt.Errorf("decode history of %s: %w", device, err)
		}
		if c.At.Before(since) || (target != "" && c.Target != target) {
			continue
		}
		changes = append(changes, c)
		if limit > 0 && len(changes) == limit {
			break
		}
	}
	return changes, nil
}
