// Package scheduler is the interval clock of linkwatch: every interval it
// publishes one probe job per device to its site's NATS subject, each at a
// stable per-device phase within the interval so that jobs are spread out,
// with a deterministic message id so that two schedulers side by side do
// not double-probe.
package scheduler

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// Inventory is what the scheduler publishes jobs for.
type Inventory struct {
	Interval time.Duration
	// Devices are job templates: everything but id, slot and times.
	Devices []*proto.ProbeJob
}

// Scheduler publishes probe jobs.
type Scheduler struct {
	js  jetstream.JetStream
	log *slog.Logger
	now func() time.Time
	// after is time.After on the clock of now; tests give a fake one.
	after func(time.Duration) <-chan time.Time

	mu     sync.Mutex
	inv    Inventory
	reload chan struct{}

	published atomic.Int64
	metrics   *Metrics
	// bus says once that jobs cannot be published, and once that they
	// can again.
	bus *backoff.Waiter
}

// New returns a scheduler publishing inv's jobs through js. now may be nil
// (time.Now).
func New(js jetstream.JetStream, inv Inventory, log *slog.Logger, now func() time.Time) *Scheduler {
	return NewWithMetrics(js, inv, log, now, nil)
}

// NewWithMetrics is New with the scheduler's metrics registered on reg.
func NewWithMetrics(js jetstream.JetStream, inv Inventory, log *slog.Logger, now func() time.Time, reg prometheus.Registerer) *Scheduler {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := NewMetrics(reg)
	m.devices.Set(float64(len(inv.Devices)))
	log = log.With("service", "scheduler")
	return &Scheduler{js: js, inv: inv, log: log, now: now, after: time.After,
		reload: make(chan struct{}, 1), metrics: m, bus: &backoff.Waiter{What: "NATS to publish jobs", Log: log}}
}

// Reload replaces the inventory; the running loop picks it up at once.
func (s *Scheduler) Reload(inv Inventory) {
	s.mu.Lock()
	s.inv = inv
	s.mu.Unlock()
	s.metrics.devices.Set(float64(len(inv.Devices)))
	select {
	case s.reload <- struct{}{}:
	default:
	}
	s.log.Info("inventory reloaded", "devices", len(inv.Devices), "interval", inv.Interval)
}

// Published is how many jobs this scheduler has published.
func (s *Scheduler) Published() int64 { return s.published.Load() }

// Phase is the stable offset of device within each interval.
func Phase(device string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(device))
	return time.Duration(h.Sum64() % uint64(interval))
}

// Due is one job to publish at a time.
type Due struct {
	At     time.Time
	Slot   int64
	Device int // index in Inventory.Devices
}

// Plan lists the jobs due in [from, to), in time order. Slot k starts at
// k×interval since the Unix epoch; a device's job for slot k is due at the
// slot's start plus the device's phase.
func Plan(inv Inventory, from, to time.Time) []Due {
	if !from.Before(to) {
		return nil
	}
	var out []Due
	q := newQueue(inv, from)
	for n, ok := q.peek(); ok && n.at < to.UnixNano(); n, ok = q.peek() {
		out = append(out, Due{At: time.Unix(0, n.at), Slot: n.slot, Device: n.device})
		q.advance()
	}
	return out
}

// Run publishes jobs until ctx ends. At start it publishes the current
// slot's jobs whose time has already come, so a restart skips no interval
// (the message id makes that harmless when they were already published).
// Each wake-up costs O(log N) per job due: the devices' next jobs wait in a
// queue, rebuilt only when the inventory is reloaded.
func (s *Scheduler) Run(ctx context.Context) error {
	inv := s.inventory()
	q, tmpls := newQueue(inv, s.slotStart(s.now())), templates(inv)
	s.log.Info("scheduler started", "devices", len(inv.Devices), "interval", inv.Interval)
	p := s.startPublisher(ctx)
	defer p.close()
	for {
		now := s.now().UnixNano()
		for n, ok := q.peek(); ok && n.at <= now; n, ok = q.peek() {
			p.publish(ctx, &tmpls[n.device], inv.Interval, Due{At: time.Unix(0, n.at), Slot: n.slot, Device: n.device})
			q.advance()
		}
		wait := time.Second
		if n, ok := q.peek(); ok {
			wait = time.Duration(n.at - now)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		case <-s.reload:
			// The new inventory's jobs from just after the last ones
			// published: none is published twice, none skipped.
			inv = s.inventory()
			q, tmpls = newQueue(inv, time.Unix(0, now+1)), templates(inv)
		case <-s.after(wait):
		}
	}
}

func (s *Scheduler) inventory() Inventory {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inv
}

func (s *Scheduler) slotStart(t time.Time) time.Time {
	iv := int64(s.inventory().Interval)
	if iv <= 0 {
		return t
	}
	return time.Unix(0, t.UnixNano()/iv*iv)
}
