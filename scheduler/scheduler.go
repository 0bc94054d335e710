// Package scheduler is the interval clock of linkwatch: every interval it
// publishes one probe job per device to its site's NATS subject, each at a
// stable per-device phase within the interval so that jobs are spread out,
// with a deterministic message id so that two schedulers side by side do
// not double-probe.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

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
	if inv.Interval <= 0 || !from.Before(to) {
		return nil
	}
	iv := int64(inv.Interval)
	var out []Due
	for slot := from.UnixNano()/iv - 1; slot*iv < to.UnixNano(); slot++ {
		for i, d := range inv.Devices {
			at := time.Unix(0, slot*iv).Add(Phase(d.GetDevice(), inv.Interval))
			if !at.Before(from) && at.Before(to) {
				out = append(out, Due{At: at, Slot: slot, Device: i})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// Run publishes jobs until ctx ends. At start it publishes the current
// slot's jobs whose time has already come, so a restart skips no interval
// (the message id makes that harmless when they were already published).
func (s *Scheduler) Run(ctx context.Context) error {
	from := s.slotStart(s.now())
	s.log.Info("scheduler started", "devices", len(s.inventory().Devices), "interval", s.inventory().Interval)
	for {
		inv := s.inventory()
		now := s.now()
		for _, d := range Plan(inv, from, now.Add(time.Nanosecond)) {
			s.publish(ctx, inv, d)
		}
		from = now.Add(time.Nanosecond)
		wait := time.Second
		if next := Plan(inv, from, from.Add(inv.Interval+time.Second)); len(next) > 0 {
			wait = next[0].At.Sub(now)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		case <-s.reload:
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

// publish sends one job; a failure is counted and the job is skipped: the
// next slot brings a fresh one, and a late probe is worth less than none.
// The first failure is logged, and the first success after it; the jobs
// in between only at debug level, so an outage of the bus is two lines.
func (s *Scheduler) publish(ctx context.Context, inv Inventory, d Due) {
	tmpl := inv.Devices[d.Device]
	job := pb.Clone(tmpl).(*proto.ProbeJob)
	job.Slot = d.Slot
	job.Id = proto.JobID(job.GetDevice(), d.Slot)
	job.ScheduledAt = timestamppb.New(d.At)
	job.Deadline = timestamppb.New(d.At.Add(inv.Interval))
	if err := s.send(ctx, job); err != nil {
		if ctx.Err() == nil {
			s.metrics.failed.Inc()
			s.bus.Retry(err)
			s.log.Debug("publish job", "job", job.GetId(), "err", err)
		}
		return
	}
	s.bus.Done()
	s.published.Add(1)
	s.metrics.published.Inc()
	s.log.Debug("job published", "job", job.GetId(), "site", job.GetSite())
}

func (s *Scheduler) send(ctx context.Context, job *proto.ProbeJob) error {
	subject, err := proto.JobSubject(job.GetSite())
	if err != nil {
		return fmt.Errorf("device %s: %w", job.GetDevice(), err)
	}
	data, err := pb.Marshal(job)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.js.Publish(ctx, subject, data, jetstream.WithMsgID(job.GetId())); err != nil {
		return fmt.Errorf("publish to %s: %w", subject, err)
	}
	return nil
}
