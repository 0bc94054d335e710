package scheduler

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

// benchSizes are the fleets the scheduler benchmarks run at.
var benchSizes = []int{1_000, 10_000, 100_000}

// jumpClock is a clock for benchmarks that never waits: After moves it on
// by the duration asked for and fires at once, so the scheduler runs as
// fast as it can plan and publish.
type jumpClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRun is the whole scheduler, planning and publishing to an
// embedded NATS server in the same process, per published job; cpu-µs/job
// is the process's CPU time, the server's included.
func BenchmarkRun(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			const interval = time.Minute
			js := localnatstest.JetStream(b)
			if err := proto.EnsureStreams(context.Background(), js, interval, 1); err != nil {
				b.Fatal(err)
			}
			// The clock starts at a slot's start: no backlog at start.
			clk := &jumpClock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
			s := New(js, inventory(n, interval), nil, clk.Now)
			s.after = clk.After
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			cpu := cpuTime()
			b.ResetTimer()
			go func() { done <- s.Run(ctx) }()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for s.Published() < int64(b.N) {
				<-tick.C
			}
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Microsecond)/float64(s.Published()), "cpu-µs/job")
		})
	}
}

// BenchmarkPlan is the planning part alone, per job: what the scheduler
// does between two jobs to know which is due next (Run's queue), without
// publishing. The queue is built once, as at start.
func BenchmarkPlan(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			inv := inventory(n, time.Minute)
			q := newQueue(inv, time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
			cpu := cpuTime()
			b.ResetTimer()
			var sink int
			for range b.N {
				next, _ := q.peek()
				sink += next.device
				q.advance()
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/job")
		})
	}
}

// BenchmarkQueueBuild is what a start or a reload costs: the queue of
// every device's next job.
func BenchmarkQueueBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			inv := inventory(n, time.Minute)
			from := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			for range b.N {
				newQueue(inv, from)
			}
		})
	}
}
