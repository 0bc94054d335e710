package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/bench"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
)

// benchFields are the fields `linkwatch bench --output json` promises.
var benchFields = []string{"mode", "probes", "concurrency", "probes_per_second", "cpu_seconds_per_probe",
	"peak_rss_bytes", "probe_p50_seconds", "probe_p99_seconds", "failed"}

// runBenchJSON runs `linkwatch bench --output json` with args and decodes
// its one JSON object, checking that every promised field is there.
func runBenchJSON(t *testing.T, env []string, args ...string) bench.Result {
	t.Helper()
	out, errOut, err := runCmd(t, env, append([]string{"bench", "--output", "json"}, args...)...)
	if err != nil {
		t.Fatalf("linkwatch bench %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(out), &fields); err != nil {
		t.Fatalf("bench output is not one JSON object: %v\n%s", err, out)
	}
	want := benchFields
	if slices.Contains(args, "--pipeline") {
		want = append(want, "cycle_seconds", "results_per_second")
	}
	for _, f := range want {
		if _, ok := fields[f]; !ok {
			t.Errorf("bench output has no %q: %s", f, out)
		}
	}
	var r bench.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// checkSane checks what every bench result must hold, whatever the
// machine's speed: probes counted, CPU and memory used, p50 ≤ p99.
func checkSane(t *testing.T, r bench.Result, mode string, probes, concurrency, failed int) {
	t.Helper()
	if r.Mode != mode || r.Probes != probes || r.Concurrency != concurrency || r.Failed != failed {
		t.Errorf("mode %s, %d probes at concurrency %d, %d failed; want %s, %d, %d, %d failed (first failure: %s)",
			r.Mode, r.Probes, r.Concurrency, r.Failed, mode, probes, concurrency, failed, r.FirstFailure)
	}
	if r.ProbesPerSecond <= 0 || r.CPUSecondsPerProbe <= 0 || r.PeakRSSBytes <= 0 {
		t.Errorf("probes/s %g, CPU s/probe %g, peak RSS %d: want all positive", r.ProbesPerSecond, r.CPUSecondsPerProbe, r.PeakRSSBytes)
	}
	if r.ProbeP50Seconds <= 0 || r.ProbeP50Seconds > r.ProbeP99Seconds {
		t.Errorf("probe time p50 %gs, p99 %gs: want 0 < p50 ≤ p99", r.ProbeP50Seconds, r.ProbeP99Seconds)
	}
}

// TestBenchProbes runs `linkwatch bench` briefly in each probe mode
// against a simulator it starts itself, with a CPU profile of the probes.
func TestBenchProbes(t *testing.T) {
	for _, mode := range []string{bench.ModePerProbe, bench.ModeBaselineSSH, bench.ModePersistent} {
		t.Run(mode, func(t *testing.T) {
			prof := filepath.Join(t.TempDir(), "cpu.pprof")
			r := runBenchJSON(t, nil, "--mode", mode, "--devices", "5", "--targets", "2", "--probes", "20", "--concurrency", "4",
				"--cpuprofile", prof)
			checkSane(t, r, mode, 20, 4, 0)
			if r.Devices != 5 || r.Links != 10 {
				t.Errorf("%d devices, %d links; want 5 and 10", r.Devices, r.Links)
			}
			// A pprof profile is a gzipped protocol buffer.
			if data, err := os.ReadFile(prof); err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
				t.Errorf("--cpuprofile: %v, %d bytes; want a gzipped pprof profile", err, len(data))
			}
		})
	}
}

// TestBenchPipeline runs one cycle of the whole system with the embedded
// store and with Redis.
func TestBenchPipeline(t *testing.T) {
	for _, store := range []string{"bbolt", "redis"} {
		t.Run(store, func(t *testing.T) {
			args := []string{"--pipeline", "--devices", "5", "--targets", "2", "--concurrency", "4"}
			if store == "redis" {
				args = append(args, "--redis-url", redistest.Start(t))
			}
			r := runBenchJSON(t, nil, args...)
			checkSane(t, r, bench.ModePipeline, 5, 4, 0)
			if r.Store != store || r.CycleSeconds == nil || *r.CycleSeconds <= 0 || r.ResultsPerSecond == nil {
				t.Fatalf("store %q, cycle %v s, results/s %v: want %s and both positive", r.Store, r.CycleSeconds, r.ResultsPerSecond, store)
			}
			if links := math.Round(*r.ResultsPerSecond * *r.CycleSeconds); links != 10 {
				t.Errorf("results/s × cycle = %g link results stored, want 10", links)
			}
		})
	}
}

// TestBenchCountsFailures benches the devices of a configuration, one of
// them with a password the simulator refuses: its probes are counted as
// failed, in every mode, not hidden.
func TestBenchCountsFailures(t *testing.T) {
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "dc1"},
		{name: "r2", platform: "arista_eos", site: "dc1"}}, "10.0.0.1")
	var devices strings.Builder
	for i, d := range fleet.devices {
		creds := "lab"
		if i == 1 {
			creds = "wrong"
		}
		fmt.Fprintf(&devices, "  - { name: %s, host: 127.0.0.1, port: %d, platform: %s, site: dc1, credentials: %s, targets: [10.0.0.1] }\n",
			d.name, d.port, d.platform, creds)
	}
	// --pipeline runs its own NATS server: the one named here is not started.
	text := testConfig(dir+"/data", `listen: "127.0.0.1:4222"`, devices.String())
	cfg := writeFile(t, dir, "linkwatch.yaml", strings.Replace(text, "credentials:\n",
		"credentials:\n  wrong: { username: admin, password_env: LW_WRONG_PASSWORD }\n", 1))
	env := []string{"LW_LAB_PASSWORD=lab-secret", "LW_WRONG_PASSWORD=not-the-password"}
	for _, mode := range []string{bench.ModePerProbe, bench.ModeBaselineSSH, bench.ModePersistent} {
		t.Run(mode, func(t *testing.T) {
			r := runBenchJSON(t, env, "--config", cfg, "--mode", mode, "--probes", "10", "--concurrency", "2")
			checkSane(t, r, mode, 10, 2, 5)
			if !strings.Contains(strings.ToLower(r.FirstFailure), "auth") {
				t.Errorf("first failure %q: want the refused login", r.FirstFailure)
			}
		})
	}
	t.Run("pipeline", func(t *testing.T) {
		r := runBenchJSON(t, env, "--config", cfg, "--pipeline", "--concurrency", "2")
		checkSane(t, r, bench.ModePipeline, 2, 2, 1)
		if !strings.HasPrefix(r.FirstFailure, "r2: ") {
			t.Errorf("first failure %q: want r2's", r.FirstFailure)
		}
	})
}

// TestBenchFlags checks that bench refuses flags that are wrong or do not
// go together, and devices off the loopback unless told, with a message
// naming what to change, before it logs in anywhere.
func TestBenchFlags(t *testing.T) {
	dir := t.TempDir()
	remote := writeFile(t, dir, "remote.yaml", testConfig(dir+"/data", `listen: "127.0.0.1:4222"`,
		"  - { name: core1, host: 192.0.2.7, platform: cisco_iosxe, targets: [10.0.0.1] }\n"))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "fast"}, `--mode "fast": must be one of baseline-ssh, per-probe, persistent`},
		{[]string{"--devices", "0", "--targets", "251"}, "--devices 0: must be at least 1\n--targets 251: must be from 1 to 250"},
		{[]string{"--concurrency", "0", "--probes", "-1"}, "--concurrency 0: must be at least 1\n--probes -1: must be at least 1"},
		{[]string{"--platform", "cisco_asa"}, `--platform: unknown platform "cisco_asa"`},
		{[]string{"--pipeline", "--probes", "10"}, "--probes: --pipeline probes every device once"},
		{[]string{"--pipeline", "--mode", "baseline-ssh"}, "--pipeline runs the workers' own probes: --mode baseline-ssh does not apply"},
		{[]string{"--redis-url", "redis://127.0.0.1:6379"}, "--redis-url: only --pipeline stores results"},
		{[]string{"--pipeline", "--cpuprofile", "cpu.pprof"}, "--cpuprofile: profiles --probes, not --pipeline"},
		{[]string{"--config", remote, "--devices", "3"}, "--devices: the devices are those of --config"},
		{[]string{"--allow-remote"}, "--allow-remote: only with --config; simulated devices are on 127.0.0.1"},
		{[]string{"--config", remote}, remote + ": devices not on a loopback address: core1 (192.0.2.7); " +
			"bench logs in to each device many times: pass --allow-remote to bench them"},
		{[]string{"--output", "xml"}, `--output "xml": must be table or json`},
		{[]string{"--devices", "2", "--concurrency", "3", "--probes", "4"}, "--concurrency 3: more than the 2 devices; a device is probed by one probe at a time"},
	}
	for _, tt := range tests {
		_, errOut, err := runCmd(t, nil, append([]string{"bench"}, tt.args...)...)
		if err == nil || !strings.Contains(errOut, "linkwatch: "+tt.want) {
			t.Errorf("bench %v: %v, stderr %q; want an error %q", tt.args, err, errOut, tt.want)
		}
	}
}
