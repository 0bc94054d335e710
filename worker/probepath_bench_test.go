package worker_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// BenchmarkProbePath is the probe path the issue measures: connect, login,
// setup, one ping, close, over SSH on loopback against the in-process
// simulator, for 300 devices of each platform at concurrency 1 and 50.
// One op is one probe. Besides allocs/op and B/op it reports the process
// CPU per probe (rusage: the simulator's CPU is in it too, so compare
// runs, not absolute figures).
//
//	go test -run '^$' -bench ProbePath -benchmem -benchtime 600x ./worker/
func BenchmarkProbePath(b *testing.B) {
	for _, platform := range ping.Platforms() {
		for _, c := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/c=%d", platform, c), func(b *testing.B) {
				benchProbePath(b, platform, 300, c)
			})
		}
	}
}

func benchProbePath(b *testing.B, platform string, n, concurrency int) {
	var f strings.Builder
	f.WriteString("devices:\n")
	for i := range n {
		fmt.Fprintf(&f, "  - { name: r%d, platform: %s, username: admin, password: pw, targets: { 10.0.0.1: up } }\n", i, platform)
	}
	srv := simtest.Start(b, f.String())
	devices := make([]worker.Device, b.N)
	for i := range devices {
		name := fmt.Sprintf("r%d", i%n)
		devices[i] = worker.Device{Name: name, Site: "bench", Host: "127.0.0.1", Port: srv.Port(name),
			Platform: platform, Username: "admin", Password: "pw",
			Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
	}
	p := &worker.Prober{HostKeys: worker.InsecureHostKeys{}}
	runtime.GC()
	before := cpuTime(b)
	b.ResetTimer()
	failed := 0
	worker.ProbeAll(context.Background(), p, devices, worker.NewLimiter(concurrency, 0), func(r worker.DeviceResult) {
		if r.Failed() {
			failed++
		}
	})
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d probes failed", failed)
	}
	b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/float64(b.N)/1000, "cpu-ms/probe")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
