package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// redisQueue is a list of alerts: a hash id → JSON, and a sorted set whose
// members "<ns within the ms>:<id>", scored by Created in unix ms, order
// the alerts by Created and then id.
type redisQueue struct {
	hash, order string
}

func orderMember(a state.Alert) (score float64, member string) {
	score, subMs := scoreMs(a.Created)
	return score, subMs + ":" + a.ID
}

// addAlert puts an alert in the outbox unless its id is already there or
// parked. KEYS: outbox hash, outbox order, parked hash. ARGV: id, JSON,
// score, order member.
const addAlert = `
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 0 end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1`

// add queues a in p unless q or parked already holds its id.
func (q redisQueue) add(ctx context.Context, p redis.Pipeliner, parked redisQueue, a state.Alert) error {
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	score, member := orderMember(a)
	// EVAL, not EVALSHA: a script cache miss cannot be retried inside MULTI.
	p.Eval(ctx, addAlert, []string{q.hash, q.order, parked.hash}, a.ID, data, score, member)
	return nil
}

// list returns up to limit alerts of q in order (all when limit <= 0).
func (q redisQueue) list(ctx context.Context, c redis.Cmdable, limit int) ([]state.Alert, error) {
	stop := int64(limit) - 1
	if limit <= 0 {
		stop = -1
	}
	members, err := c.ZRange(ctx, q.order, 0, stop).Result()
	if err != nil || len(members) == 0 {
		return nil, err
	}
	ids := make([]string, len(members))
	for i, m := range members {
		_, ids[i], _ = strings.Cut(m, ":")
	}
	vals, err := c.HMGet(ctx, q.hash, ids...).Result()
	if err != nil {
		return nil, err
	}
	alerts := make([]state.Alert, 0, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue // removed between the two reads
		}
		var a state.Alert
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return nil, fmt.Errorf("decode alert %s: %w", ids[i], err)
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
}

// get reads alert id from q; ok is false when q does not hold it.
func (q redisQueue) get(ctx context.Context, c redis.Cmdable, id string) (a state.Alert, ok bool, err error) {
	data, err := c.HGet(ctx, q.hash, id).Bytes()
	if errors.Is(err, redis.Nil) {
		return a, false, nil
	}
	if err != nil {
		return a, false, err
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, false, fmt.Errorf("decode alert %s: %w", id, err)
	}
	return a, true, nil
}

// Outbox implements state.Store.
func (r *Redis) Outbox(ctx context.Context, limit int) ([]state.Alert, error) {
	alerts, err := r.outbox.list(ctx, r.client, limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return alerts, nil
}

// Parked implements state.Store.
func (r *Redis) Parked(ctx context.Context) ([]state.Alert, error) {
	alerts, err := r.parked.list(ctx, r.client, 0)
	if err != nil {
		return nil, fmt.Errorf("read parked alerts: %w", err)
	}
	return alerts, nil
}

// Ack implements state.Store.
func (r *Redis) Ack(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	vals, err := r.client.HMGet(ctx, r.outbox.hash, ids...).Result()
	if err != nil {
		return fmt.Errorf("ack alerts: %w", err)
	}
	var members []any
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var a state.Alert
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return fmt.Errorf("ack alerts: decode: %w", err)
		}
		_, m := orderMember(a)
		members = append(members, m)
	}
	if len(members) == 0 {
		return nil
	}
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, r.outbox.order, members...)
		p.HDel(ctx, r.outbox.hash, ids...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack alerts: %w", err)
	}
	return nil
}

// Retry implements state.Store. An id not in the outbox is ignored.
func (r *Redis) Retry(ctx context.Context, id string, lastErr string) error {
	err := r.watch(ctx, func(tx *redis.Tx) error {
		a, ok, err := r.outbox.get(ctx, tx, id)
		if !ok || err != nil {
			return err
		}
		a.Attempts++
		a.LastError = lastErr
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, r.outbox.hash, id, data)
			return nil
		})
		return err
	}, r.outbox.hash)
	if err != nil {
		return fmt.Errorf("record failed delivery of %s: %w", id, err)
	}
	return nil
}

// Park implements state.Store. The reason becomes the alert's LastError.
// An id not in the outbox is ignored.
func (r *Redis) Park(ctx context.Context, id string, reason string) error {
	err := r.watch(ctx, func(tx *redis.Tx) error {
		a, ok, err := r.outbox.get(ctx, tx, id)
		if !ok || err != nil {
			return err
		}
		a.LastError = reason
		data, err := json.Marshal(a)
		if err != nil {
			return err
		}
		score, member := orderMember(a)
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, r.outbox.hash, id)
			p.ZRem(ctx, r.outbox.order, member)
			p.HSet(ctx, r.parked.hash, id, data)
			p.ZAdd(ctx, r.parked.order, redis.Z{Score: score, Member: member})
			return nil
		})
		return err
	}, r.outbox.hash)
	if err != nil {
		return fmt.Errorf("park alert %s: %w", id, err)
	}
	return nil
}
