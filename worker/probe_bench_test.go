package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// benchFleet starts n simulated routers (platforms in turn), each with 4
// targets: up, down, drop 60, up; pings are instant.
func benchFleet(b *testing.B, n int) []worker.Device {
	b.Helper()
	platforms := ping.Platforms()
	var f strings.Builder
	f.WriteString("devices:\n")
	for i := range n {
		fmt.Fprintf(&f, "  - { name: r%d, platform: %s, username: admin, password: pw,\n"+
			"      targets: { 10.0.0.1: up, 10.0.0.2: down, 10.0.0.3: drop 60, 10.0.0.4: up } }\n", i, platforms[i%len(platforms)])
	}
	srv := simtest.Start(b, f.String())
	var devices []worker.Device
	for i := range n {
		d := worker.Device{Name: fmt.Sprintf("r%d", i), Site: "bench", Host: "127.0.0.1", Port: srv.Port(fmt.Sprintf("r%d", i)),
			Platform: platforms[i%len(platforms)], Username: "admin", Password: "pw"}
		for _, t := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
			d.Targets = append(d.Targets, ping.Params{Target: t, Count: 5, Timeout: time.Second})
		}
		devices = append(devices, d)
	}
	return devices
}

// BenchmarkProbe is one device: connect, 4 pings, close.
func BenchmarkProbe(b *testing.B) {
	d := benchFleet(b, 1)[0]
	p := &worker.Prober{HostKeys: worker.InsecureHostKeys{}}
	b.ResetTimer()
	for range b.N {
		if r := p.Probe(context.Background(), d); r.Failed() {
			b.Fatalf("%s: %s", r.Failure, r.FailureText)
		}
	}
}

// BenchmarkProbeAll200 is the fleet `linkwatch check` sees in the bench
// script: 200 devices × 4 targets at concurrency 50. One op is the whole
// fleet.
func BenchmarkProbeAll200(b *testing.B) {
	devices := benchFleet(b, 200)
	p := &worker.Prober{HostKeys: worker.InsecureHostKeys{}}
	b.ResetTimer()
	for range b.N {
		failed := 0
		worker.ProbeAll(context.Background(), p, devices, worker.NewLimiter(50, 0), func(r worker.DeviceResult) {
			if r.Failed() {
				failed++
			}
		})
		if failed > 0 {
			b.Fatalf("%d devices failed", failed)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*200)/1000, "ms/device")
}
