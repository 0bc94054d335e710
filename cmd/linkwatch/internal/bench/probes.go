package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runProbes probes the testbed's devices opts.Probes times in turn,
// opts.Concurrency at once, with opts.Mode.
func runProbes(ctx context.Context, tb *testbed, opts Options) (Result, error) {
	if opts.Concurrency > len(tb.devices) {
		return Result{}, fmt.Errorf("--concurrency %d: more than the %d devices; a device is probed by one probe at a time",
			opts.Concurrency, len(tb.devices))
	}
	m, err := modes[opts.Mode](tb)
	if err != nil {
		return Result{}, err
	}
	mode := oneAtATime(m, tb.devices)
	defer mode.Close()
	if _, keeps := m.(interface{ keepsSessions() }); keeps {
		// A device that fails here fails again, counted, when measured.
		measure(ctx, len(tb.devices), opts.Concurrency, func(ctx context.Context, i int) error {
			return mode.Probe(ctx, tb.devices[i])
		})
		if err := ctx.Err(); err != nil {
			return Result{}, fmt.Errorf("opening the sessions: %w", err)
		}
	}
	stop, err := startCPUProfile(opts.CPUProfile)
	if err != nil {
		return Result{}, err
	}
	ms := measure(ctx, opts.Probes, opts.Concurrency, func(ctx context.Context, i int) error {
		return mode.Probe(ctx, tb.devices[i%len(tb.devices)])
	})
	if err := stop(); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("probes interrupted after %d of %d: %w", ms.done, opts.Probes, err)
	}
	r := ms.result(opts.Mode, opts.Concurrency)
	r.ProbesPerSecond = float64(ms.done) / ms.wall.Seconds()
	return r, nil
}

// measured is what measure saw.
type measured struct {
	done   int
	wall   time.Duration
	cpu    time.Duration
	times  []time.Duration // of each probe, sorted
	failed int
	first  string // the first failure's text
}

// measure runs probe(i) for i in [0, n), c at once, timing each, and the
// process's CPU over them all. Probes not started when ctx ends are not
// counted.
func measure(ctx context.Context, n, c int, probe func(ctx context.Context, i int) error) measured {
	var next atomic.Int64
	var mu sync.Mutex
	m := measured{}
	runtime.GC() // what came before is not this run's garbage
	cpu0, start := cpuTime(), time.Now()
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			var times []time.Duration
			failed, first := 0, ""
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t := time.Now()
				err := probe(ctx, i)
				times = append(times, time.Since(t))
				if err != nil {
					if failed++; first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			m.times = append(m.times, times...)
			if m.failed += failed; m.first == "" {
				m.first = first
			}
		})
	}
	wg.Wait()
	m.wall, m.cpu = time.Since(start), cpuTime()-cpu0
	m.done = len(m.times)
	slices.Sort(m.times)
	return m
}

// result is the Result of the probes measured, but their rate.
func (m measured) result(mode string, concurrency int) Result {
	return Result{Mode: mode, Probes: m.done, Concurrency: concurrency,
		CPUSecondsPerProbe: m.cpu.Seconds() / float64(max(m.done, 1)), PeakRSSBytes: peakRSS(),
		ProbeP50Seconds: quantile(m.times, 0.50).Seconds(), ProbeP99Seconds: quantile(m.times, 0.99).Seconds(),
		Failed: m.failed, FirstFailure: m.first}
}

// quantile is the q-quantile of sorted times (nearest rank); 0 of none.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// cpuTime is this process's user and system CPU time so far; its
// children's (the simulator's) is not in it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is this process's peak resident set size in bytes (Linux gives
// ru_maxrss in KiB).
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss << 10
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes,
// zero where /proc/loadavg cannot be read.
func loadAverage() [3]float64 {
	var l [3]float64
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	for i, f := range strings.Fields(string(data)) {
		if i < len(l) {
			l[i], _ = strconv.ParseFloat(f, 64)
		}
	}
	return l
}

// startCPUProfile starts a CPU profile into file, unless file is ""; stop
// ends it and closes the file.
func startCPUProfile(file string) (stop func() error, err error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}, nil
}
