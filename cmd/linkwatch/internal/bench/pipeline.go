package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/scheduler"
)

// cycleInterval is the interval of a pipeline run, the longest the
// configuration allows, so that no device's next job comes during the
// cycle measured.
const cycleInterval = 24 * time.Hour

// runPipeline runs one probe cycle of the whole system, `linkwatch run`
// in this process (app.Run: an embedded NATS server, the scheduler, a
// worker per site, the notifier and its store), against the testbed's
// devices: from the moment every device's job is due until every device
// has a result stored.
func runPipeline(ctx context.Context, tb *testbed, opts Options, dir string) (Result, error) {
	cfg, err := pipelineConfig(tb, opts, dir)
	if err != nil {
		return Result{}, err
	}
	clock := newDueClock(cfg)
	c := &commits{clock: clock, want: len(cfg.Devices), stored: map[string]time.Duration{}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() {
		ran <- app.Run(ctx, cfg, app.RunOptions{Log: opts.Log, Stdout: io.Discard, SchedulerNow: clock.now,
			Store: func(st app.Store) app.Store { return &countingStore{Store: st, c: c} }})
	}()
	select {
	case <-c.done:
	case err := <-ran:
		if err == nil {
			err = errors.New("it returned")
		}
		return Result{}, fmt.Errorf("linkwatch run stopped before the cycle ended: %w", err)
	case <-ctx.Done():
		return Result{}, fmt.Errorf("%d of %d devices have a result stored: %w", c.count(), c.want, ctx.Err())
	}
	cancel()
	if err := <-ran; err != nil {
		return Result{}, fmt.Errorf("stop linkwatch run: %w", err)
	}
	return c.result(cfg), nil
}

// pipelineConfig is cfg made into a bench of its own: an embedded NATS
// server on a free loopback port and the embedded store under dir, or
// Redis under a key prefix of this run's; cfg.Interval of cycleInterval;
// no email sent (they are rendered and dropped); opts.Concurrency devices
// probed at once. The simulated devices' host keys are pinned on first
// contact, as by default, not ignored as in the probe modes.
func pipelineConfig(tb *testbed, opts Options, dir string) (*config.Config, error) {
	c := *tb.cfg
	if tb.sim != nil {
		c.Worker.HostKeys = config.HostKeysTOFU
	}
	listen, err := freeLoopback()
	if err != nil {
		return nil, err
	}
	c.DataDir = filepath.Join(dir, "pipeline")
	c.NATS = config.NATS{Listen: listen}
	c.Interval = cycleInterval
	c.Notify.StaleAfter = 2 * cycleInterval
	c.Notify.SMTP = nil
	c.Worker.Concurrency = opts.Concurrency
	if opts.RedisURL != "" {
		c.State.RedisURL = opts.RedisURL
	}
	c.State.Prefix += "bench-" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	return &c, nil
}

// freeLoopback is a loopback address that nothing listened on a moment
// ago, for the embedded NATS server, which binds the address it is given.
func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port for NATS: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// dueClock is the scheduler's clock in a pipeline run: real time moved on,
// by less than one interval, to just after the latest phase
// (scheduler.Phase) of the devices' slot, so that every device's job is
// due when the scheduler first reads it. That first read starts the
// cycle.
type dueClock struct {
	interval, latest time.Duration
	once             sync.Once
	offset           time.Duration
	start            time.Time
	cpu0             time.Duration
}

func newDueClock(cfg *config.Config) *dueClock {
	c := &dueClock{interval: cfg.Interval}
	for _, d := range cfg.Devices {
		c.latest = max(c.latest, scheduler.Phase(d.Name, cfg.Interval))
	}
	return c
}

func (c *dueClock) now() time.Time {
	t := time.Now()
	c.once.Do(func() {
		c.start, c.cpu0 = t, cpuTime()
		iv := int64(c.interval)
		due := t.UnixNano()/iv*iv + int64(c.latest) + 1
		if due < t.UnixNano() {
			due += iv
		}
		c.offset = time.Duration(due - t.UnixNano())
	})
	return t.Add(c.offset)
}

// began is the cycle's start and this process's CPU time then.
func (c *dueClock) began() (time.Time, time.Duration) {
	c.now() // the start is set, and seen set
	return c.start, c.cpu0
}

// commits counts the devices whose first result is stored.
type commits struct {
	clock  *dueClock
	want   int
	done   chan struct{}
	mu     sync.Mutex
	stored map[string]time.Duration // device → when its result was stored, since the start
	links  int                      // links stored with a state
	failed int
	first  string
	cpu    time.Duration
	end    time.Duration
}

func (c *commits) add(d state.Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.stored[d.Name]; ok || len(c.stored) == c.want {
		return
	}
	start, cpu0 := c.clock.began()
	at := time.Since(start)
	c.stored[d.Name] = at
	for _, l := range d.Links {
		if l.State != "" {
			c.links++
		}
	}
	if d.Failure != "" {
		c.failed++
		if c.first == "" {
			c.first = d.Name + ": " + d.Failure + ": " + d.FailureText
		}
	}
	if len(c.stored) == c.want {
		c.end, c.cpu = at, cpuTime()-cpu0
		close(c.done)
	}
}

func (c *commits) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stored)
}

// result is the cycle's Result, once every device's result is stored.
func (c *commits) result(cfg *config.Config) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	times := make([]time.Duration, 0, len(c.stored))
	for _, t := range c.stored {
		times = append(times, t)
	}
	slices.Sort(times)
	cycle, perSecond := c.end.Seconds(), float64(c.links)/c.end.Seconds()
	store := "bbolt"
	if cfg.State.RedisURL != "" {
		store = "redis"
	}
	return Result{Mode: ModePipeline, Probes: len(times), Concurrency: cfg.Worker.Concurrency,
		ProbesPerSecond: float64(len(times)) / cycle, CPUSecondsPerProbe: c.cpu.Seconds() / float64(len(times)),
		PeakRSSBytes: peakRSS(), ProbeP50Seconds: quantile(times, 0.5).Seconds(), ProbeP99Seconds: quantile(times, 0.99).Seconds(),
		Failed: c.failed, FirstFailure: c.first, Store: store, CycleSeconds: &cycle, ResultsPerSecond: &perSecond}
}

// countingStore is the notifier's store, telling commits of each result
// stored.
type countingStore struct {
	app.Store
	c *commits
}

func (s *countingStore) Commit(ctx context.Context, device string, decide func(state.Device) (state.Update, error)) error {
	var last state.Update
	var lastErr error
	err := s.Store.Commit(ctx, device, func(prev state.Device) (state.Update, error) {
		last, lastErr = decide(prev)
		return last, lastErr
	})
	if err == nil && lastErr == nil && !last.Device.LastResult.IsZero() {
		s.c.add(last.Device)
	}
	return err
}
