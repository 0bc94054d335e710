package worker

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker/floor"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// BenchmarkProbePath is the probe path the issue measures: connect, login,
// setup, one ping, close, over SSH on loopback against the in-process
// simulator, for 300 devices of each platform at concurrency 1 and 50.
// One op is one probe. Besides allocs/op and B/op it reports the process
// CPU per probe (rusage: the simulator's CPU is in it too, so compare
// runs, and compare with BenchmarkProbePathFloor in the same run).
//
//	go test -run '^$' -bench 'ProbePath(Floor)?/cisco_iosxe' -benchmem -benchtime 600x ./worker/
func BenchmarkProbePath(b *testing.B) {
	eachPlatform(b, func(b *testing.B, platform string, srv *sim.Server, concurrency int) {
		devices := make([]Device, b.N)
		for i := range devices {
			name := fmt.Sprintf("r%d", i%benchDevices)
			devices[i] = Device{Name: name, Site: "bench", Host: "127.0.0.1", Port: srv.Port(name),
				Platform: platform, Username: "admin", Password: "pw", Targets: []ping.Params{benchPing}}
		}
		p := &Prober{HostKeys: InsecureHostKeys{}}
		failed := 0
		ProbeAll(context.Background(), p, devices, NewLimiter(concurrency, 0), func(r DeviceResult) {
			if r.Failed() {
				failed++
			}
		})
		if failed > 0 {
			b.Fatalf("%d probes failed", failed)
		}
	})
}

// BenchmarkProbePathPersistent is BenchmarkProbePath over persistent
// sessions (Sessions): the same devices and ping, the session of each
// device kept across ops, so after the first op on a device (opened
// before the timer starts) an op is one ping on an open session.
//
//	go test -run '^$' -bench 'ProbePath(Persistent)?/cisco_iosxe' -benchmem -benchtime 600x ./worker/
func BenchmarkProbePathPersistent(b *testing.B) {
	eachPlatform(b, func(b *testing.B, platform string, srv *sim.Server, concurrency int) {
		b.StopTimer()
		devices := make([]Device, benchDevices)
		for i := range devices {
			name := fmt.Sprintf("r%d", i)
			devices[i] = Device{Name: name, Site: "bench", Host: "127.0.0.1", Port: srv.Port(name), Persistent: true,
				Platform: platform, Username: "admin", Password: "pw", Targets: []ping.Params{benchPing}}
		}
		s := NewSessions(&Prober{HostKeys: InsecureHostKeys{}}, SessionsConfig{KeepAlive: time.Hour})
		defer s.Close()
		probe := func(devices []Device) {
			failed := 0
			lim := NewLimiter(concurrency, 0)
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, d := range devices {
				release, _ := lim.Acquire(context.Background(), d.Site)
				wg.Go(func() {
					defer release()
					if r := s.Probe(context.Background(), d); r.Failed() {
						mu.Lock()
						failed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if failed > 0 {
				b.Fatalf("%d probes failed", failed)
			}
		}
		probe(devices[:min(b.N, benchDevices)]) // open the sessions the ops use
		ops := make([]Device, b.N)
		for i := range ops {
			ops[i] = devices[i%benchDevices]
		}
		runtime.GC()
		resetCPU(b)
		b.StartTimer()
		probe(ops)
	})
}

// BenchmarkProbePathFloor is BenchmarkProbePath's probe done by a bare
// x/crypto/ssh shell client: connect, login, pty and shell, the same setup
// and ping lines, each read until the platform's prompt, close. It is the
// floor the worker's probe path is judged against (package floor), on the
// same simulator.
func BenchmarkProbePathFloor(b *testing.B) {
	eachPlatform(b, func(b *testing.B, platform string, srv *sim.Server, concurrency int) {
		script, err := ScriptFor(platform, []ping.Params{benchPing})
		if err != nil {
			b.Fatal(err)
		}
		cfg := &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password("pw")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey()} // the simulator's throwaway keys
		sem := make(chan struct{}, concurrency)
		errs := make(chan error, b.N)
		for i := range b.N {
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port(fmt.Sprintf("r%d", i%benchDevices))))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				errs <- floor.Probe(ctx, addr, cfg, script.Prompt, script.Lines)
			}()
		}
		for range b.N {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	})
}

const benchDevices = 300

var benchPing = ping.Params{Target: "10.0.0.1", Count: 1, Timeout: time.Second}

// eachPlatform runs probe, timed, for each platform at concurrency 1 and
// 50 against benchDevices simulated devices of that platform, and reports
// the process CPU per op.
func eachPlatform(b *testing.B, probe func(b *testing.B, platform string, srv *sim.Server, concurrency int)) {
	for _, platform := range ping.Platforms() {
		for _, c := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/c=%d", platform, c), func(b *testing.B) {
				var f strings.Builder
				f.WriteString("devices:\n")
				for i := range benchDevices {
					fmt.Fprintf(&f, "  - { name: r%d, platform: %s, username: admin, password: pw, targets: { 10.0.0.1: up } }\n", i, platform)
				}
				srv := simtest.Start(b, f.String())
				runtime.GC()
				cpuStart = cpuTime(b)
				b.ResetTimer()
				probe(b, platform, srv, c)
				b.StopTimer()
				b.ReportMetric(float64((cpuTime(b)-cpuStart).Microseconds())/float64(b.N)/1000, "cpu-ms/probe")
			})
		}
	}
}

// cpuStart is the process CPU time when eachPlatform's timer started;
// a probe that prepares before its timed part calls resetCPU.
var cpuStart time.Duration

// resetCPU restarts the CPU count of eachPlatform from now.
func resetCPU(b *testing.B) { cpuStart = cpuTime(b) }

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
