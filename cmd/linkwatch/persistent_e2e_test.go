package main

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestRunPersistentSessions runs `linkwatch run` with the devices of site
// dc1 persistent (worker.persistent_sites) and a cap of one session per
// site: one device keeps its session open across intervals, the other is
// probed per-probe, and both report every interval.
func TestRunPersistentSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end persistent session test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{
		{name: "r1", platform: "cisco_iosxe", site: "dc1"},
		{name: "r2", platform: "arista_eos", site: "dc1"},
	}, "10.0.0.1")
	var metricsPort int
	startBound(t, "run", []string{"LW_LAB_PASSWORD=lab-secret"}, 2, func(ports []int) []string {
		metricsPort = ports[1]
		cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]),
			fleet.configDevices()+"worker: { persistent_sites: [dc1], persistent_sessions_per_site: 1 }\n"))
		return []string{"run", "--config", cfg, "--sites", "dc1", "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", metricsPort)}
	}, runBound)
	metric := func(body, name string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	waittest.For(t, 60*time.Second, func() error {
		_, body, err := get(metricsPort, "/metrics")
		if err != nil {
			return err
		}
		open := metric(body, "linkwatch_worker_persistent_sessions")
		perProbe := metric(body, "linkwatch_worker_persistent_cap_reached_total")
		probed := metric(body, `linkwatch_worker_device_probes_total{failure="ok"}`)
		if open != 1 || perProbe < 3 || probed < 8 {
			return fmt.Errorf("%v persistent sessions open, %v probes per-probe past the cap, %v probes ok; want 1, 3 and 8 at least",
				open, perProbe, probed)
		}
		return nil
	})
}
