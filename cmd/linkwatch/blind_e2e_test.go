package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestBlindSite runs `linkwatch run` for site dc1 with dc2's only worker as
// a process of its own, as at a remote site, and kills that worker: one
// email says dc2 has no results (naming the worker), status shows dc2's
// links STALE; the worker started again, one email says results came
// again. A device that never answers (r9, on a closed port) is UNKNOWN in
// status with its failure, and the fleet-wide history lists every device.
func TestBlindSite(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end blind site test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{
		{name: "r1", platform: "cisco_iosxe", site: "dc1"},
		{name: "r2", platform: "arista_eos", site: "dc2"},
	}, "10.0.0.1", "10.0.0.2")
	closed := freePorts(t, 1)[0]
	devices := fleet.configDevices() +
		fmt.Sprintf("  - { name: r9, host: 127.0.0.1, port: %d, platform: cisco_iosxe, site: dc1, targets: [10.0.0.1] }\n", closed)
	var natsPort int
	config := func(dataDir, login string) string {
		// stale_after 4s: two intervals, the default, written out.
		return strings.Replace(testConfig(dataDir, fmt.Sprintf(`listen: "127.0.0.1:%d"%s`, natsPort, login), devices),
			"stale_after: 1h", "stale_after: 4s", 1)
	}
	env := []string{"LW_LAB_PASSWORD=lab-secret"}
	var cfg string
	run, _ := startBound(t, "run", env, 1, func(ports []int) []string {
		natsPort = ports[0]
		cfg = writeFile(t, dir, "linkwatch.yaml", config(dir+"/data", ""))
		return []string{"run", "--config", cfg, "--sites", "dc1"}
	}, runBound)
	exportSiteKey(t, dir, cfg, "dc2")
	remote := writeFile(t, dir, "remote.yaml", config(dir+"/remote-data", ", nkey_seed_file: dc2.nk"))
	startWorker := func() *proc {
		return startProc(t, "worker dc2", env, "worker", "--config", remote, "--site", "dc2", "--id", "w-dc2")
	}
	worker := startWorker()

	status := func(args ...string) map[string]statusRow { return statusOf(t, cfg, args...) }
	inState := func(state string, links ...string) func() error {
		return func() error {
			rows := status()
			for _, l := range links {
				if got := rows[l].State; got != state {
					return fmt.Errorf("status shows %s %q, want %s", l, got, state)
				}
			}
			return nil
		}
	}
	dc2Links := []string{"r2 10.0.0.1", "r2 10.0.0.2"}
	waittest.For(t, 60*time.Second, inState("UP", append(dc2Links, "r1 10.0.0.1", "r1 10.0.0.2")...))
	waittest.For(t, 30*time.Second, inState("UNKNOWN", "r9 "))
	if r9 := status()["r9 "]; r9.DeviceFailure != "REFUSED" || r9.Error == "" {
		t.Errorf("status of r9, whose port is closed = %+v, want UNKNOWN with REFUSED and its text", r9)
	}
	if rows := status("--state", "unknown"); len(rows) != 1 {
		t.Errorf("status --state unknown = %v, want r9 only", rows)
	}

	// Site dc2's emails from now on: the startup may have had its own, on
	// a machine slow enough to start the worker late.
	mark := len(run.stdout.String())
	subjects := func(text string) int {
		re := regexp.MustCompile(`(?m)^Subject: .*` + regexp.QuoteMeta(text))
		return len(re.FindAllString(run.stdout.String()[mark:], -1))
	}
	atLeast := func(n int, text string) func() error {
		return func() error {
			if got := subjects(text); got < n {
				return fmt.Errorf("%d emails with %q since the kill, want %d", got, text, n)
			}
			return nil
		}
	}

	worker.kill()
	waittest.For(t, 60*time.Second, atLeast(1, "site dc2: no results for "))
	waittest.For(t, 30*time.Second, inState("STALE", dc2Links...))
	rows := status()
	if r := rows["r2 10.0.0.1"]; r.LastState != "UP" || r.Note != "site without results" {
		t.Errorf("status of a link of the blind site = %+v, want STALE, last UP, its site without results", r)
	}
	if r := rows["r1 10.0.0.1"]; r.State != "UP" {
		t.Errorf("status of r1, whose site reports = %+v, want UP", r)
	}
	if rows := status("--state", "STALE"); len(rows) != 2 {
		t.Errorf("status --state STALE = %v, want dc2's two links", rows)
	}
	if !strings.Contains(run.stdout.String()[mark:], "(last from worker w-dc2)") {
		t.Errorf("blind-site email does not name the last worker:\n%s", run.stdout.String()[mark:])
	}

	startWorker()
	waittest.For(t, 60*time.Second, atLeast(1, "site dc2: results again (from worker w-dc2)"))
	waittest.For(t, 30*time.Second, inState("UP", dc2Links...))
	if n := subjects("site dc2: "); n != 2 {
		t.Errorf("%d emails about site dc2 since the kill, want one without results and one with:\n%s", n,
			run.stdout.String()[mark:])
	}

	hist, stderr, err := runCmd(t, nil, "history", "--since", "7d", "--config", cfg, "--output", "json")
	if err != nil {
		t.Fatalf("history: %v\n%s", err, stderr)
	}
	named := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(hist), "\n") {
		var c struct{ Device string }
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		named[c.Device] = true
	}
	if !named["r1"] || !named["r2"] {
		t.Errorf("fleet-wide history names %v, want r1 and r2:\n%s", named, hist)
	}
	r9, _, err := runCmd(t, nil, "history", "r9", "--config", cfg)
	if err != nil || !regexp.MustCompile(`r9\s+dc1\s+-\s+\(first seen\)\s+UNREACHABLE\s+-\s+REFUSED `).MatchString(r9) {
		t.Errorf("history r9 = %v:\n%s\nwant its reachability: target -, UNREACHABLE, REFUSED and the text", err, r9)
	}
	table, _, err := runCmd(t, nil, "history", "--since", "1h", "--limit", "2", "--config", cfg)
	if err != nil || strings.Count(strings.TrimSpace(table), "\n") != 2 {
		t.Errorf("history --since 1h --limit 2 = %v:\n%s, want a header and two rows", err, table)
	}
}
