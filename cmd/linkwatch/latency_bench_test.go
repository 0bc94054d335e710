package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// BenchmarkFlipToEmail measures the time from a link flip on a simulated
// router (fleet file rewritten, SIGHUP) to the alert email accepted by an
// SMTP server (STARTTLS + AUTH), through `linkwatch run` with an interval
// of 2 s and group_wait 0. Each op is one flip, made at a random point of
// the probe cycle; the median is reported. Expect about half an interval
// of waiting for the next probe plus the probe, commit and SMTP time.
//
//	go test -run '^$' -bench FlipToEmail -benchtime 5x ./cmd/linkwatch/
func BenchmarkFlipToEmail(b *testing.B) {
	dir := b.TempDir()
	smtp := smtptest.Start(b, smtptest.WithAuth("lw", "smtp-secret"))
	caFile := dir + "/smtp-ca.pem"
	if err := os.WriteFile(caFile, smtp.CertPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	fleet := startTestFleet(b, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "dc1"}}, "10.0.0.1")
	var cfg string
	startBound(b, "run", []string{"LW_LAB_PASSWORD=lab-secret", "LW_SMTP_PASSWORD=smtp-secret"}, 1, func(ports []int) []string {
		cfg = writeFile(b, dir, "linkwatch.yaml", fmt.Sprintf(`
interval: 2s
data_dir: %s/data
nats: { listen: "127.0.0.1:%d" }
notify:
  from: linkwatch@example.net
  to: [noc@example.net]
  group_wait: 0s
  stale_after: 1h   # emails are counted: no site alert because a loaded machine fell behind
  smtp: { host: 127.0.0.1, port: %d, username: lw, password_env: LW_SMTP_PASSWORD, ca_file: %s }
credentials:
  lab: { username: admin, password_env: LW_LAB_PASSWORD }
defaults:
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
%s`, dir, ports[0], smtp.Port(), caFile, fleet.configDevices()))
		return []string{"run", "--config", cfg}
	}, runBound)
	waittest.For(b, 30*time.Second, func() error {
		out, errOut, err := runCmd(b, nil, "status", "--config", cfg, "--output", "json")
		if err != nil || len(out) == 0 {
			return fmt.Errorf("no result in status yet: %v %s", err, errOut)
		}
		return nil
	})

	var lat []time.Duration
	behaviours := []string{"down", "up"}
	b.ResetTimer()
	for i := range b.N {
		// Flip at a random point of the 2 s probe cycle, as a real outage
		// would, not just after the previous email.
		b.StopTimer()
		time.Sleep(rand.N(2 * time.Second))
		b.StartTimer()
		before := len(smtp.Messages())
		fleet.write(map[string]string{"r1 10.0.0.1": behaviours[i%2]})
		start := time.Now()
		if err := fleet.sim.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			b.Fatal(err)
		}
		smtp.WaitFor(b, before+1, 30*time.Second) // told of each message: no polling to blur the time
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "ms-median")
	b.ReportMetric(float64(lat[0].Milliseconds()), "ms-min")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "ms-max")
	b.Logf("flip → email latencies: %v", lat)
}
