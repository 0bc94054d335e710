package scheduler

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats"
)

// benchSizes are the fleets the scheduler benchmarks run at.
var benchSizes = []int{1_000, 10_000, 100_000}

// jumpClock is a clock for benchmarks that never waits: After moves it on
// by the duration asked for and fires at once, so the scheduler runs as
// fast as it can plan and publish.
type jumpClock struct{ *fakeClock }

func (c jumpClock) After(d time.Duration) <-chan time.Time {
	if d > 0 {
		c.Advance(d)
	}
	return c.fakeClock.After(0)
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServerEnv, when set, makes the test binary a NATS server for
// BenchmarkRun (TestBenchNATSServer).
const benchServerEnv = "LINKWATCH_BENCH_NATS_SERVER"

// TestBenchNATSServer is not a test: run by BenchmarkRun in a child
// process, it serves NATS with JetStream, prints its URL, and stops when
// its standard input closes. The server's CPU time is then the child's,
// apart from the scheduler's.
func TestBenchNATSServer(t *testing.T) {
	if os.Getenv(benchServerEnv) == "" {
		t.Skip("the NATS server of BenchmarkRun's child process")
	}
	s, err := localnats.Start(localnats.Options{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	fmt.Println(s.ClientURL())
	io.Copy(io.Discard, os.Stdin)
}

// benchServer starts a NATS server in a child process and returns a
// JetStream client of it, and a function that stops it and returns the
// CPU time it used.
func benchServer(b *testing.B) (jetstream.JetStream, func() time.Duration) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchNATSServer$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() time.Duration {
		stdin.Close()
		cmd.Wait()
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		b.Fatalf("NATS server child: %v", err)
	}
	nc, err := nats.Connect(strings.TrimSpace(url))
	if err != nil {
		stop()
		b.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	return js, func() time.Duration { nc.Close(); return stop() }
}

// BenchmarkRun is the whole scheduler, planning and publishing to a NATS
// server in a child process, per published job: cpu-µs/job is the
// scheduler's process (planning, encoding, the NATS client), server-cpu-
// µs/job the server's (its JetStream file store mostly).
func BenchmarkRun(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			const interval = time.Minute
			js, stop := benchServer(b)
			if err := proto.EnsureStreams(context.Background(), js, interval, 1); err != nil {
				stop()
				b.Fatal(err)
			}
			// The clock starts at a slot's start: no backlog at start.
			clk := jumpClock{newFakeClock()}
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
			jobs := float64(s.Published())
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Microsecond)/jobs, "cpu-µs/job")
			b.ReportMetric(float64(stop())/float64(time.Microsecond)/jobs, "server-cpu-µs/job")
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
// every device's next job and the jobs' encoded templates.
func BenchmarkQueueBuild(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			inv := inventory(n, time.Minute)
			from := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			for range b.N {
				newQueue(inv, from)
				templates(inv)
			}
		})
	}
}
