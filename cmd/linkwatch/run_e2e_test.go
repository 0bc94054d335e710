package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestRunEmbedded runs `linkwatch run` with the embedded defaults (NATS and
// store in data_dir, emails on standard output) against the simulator:
// flip a link, one email; flip it back, one recovery email. status and
// history are asked of the running process with the keys run made, and the
// worker of one site runs as a separate process, as at a remote site: its
// own data_dir, and the key `creds export` gave it.
func TestRunEmbedded(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{
		{name: "r1", platform: "cisco_iosxe", site: "dc1"},
		{name: "r2", platform: "juniper_junos", site: "dc2"},
		{name: "r3", platform: "arista_eos", site: "dc1"}, // added to the config later
	}, "10.0.0.1", "10.0.0.2")
	var natsPort, metricsPort int
	var configIn func(dataDir, login string) func(string) string
	config := func(devices string) string {
		return configIn(dir+"/data", "")(devices)
	}
	configIn = func(dataDir, login string) func(string) string {
		return func(devices string) string {
			return testConfig(dataDir, fmt.Sprintf(`listen: "127.0.0.1:%d"%s`, natsPort, login), devices)
		}
	}
	env := []string{"LW_LAB_PASSWORD=lab-secret"}
	// run works site dc1 itself; dc2's worker joins its embedded NATS
	// server from "elsewhere", as a worker at another site would.
	var cfg string
	run, _ := startBound(t, "run", env, 2, func(ports []int) []string {
		natsPort, metricsPort = ports[0], ports[1]
		cfg = writeFile(t, dir, "linkwatch.yaml", config(fleet.configDevices("r1", "r2")))
		return []string{"run", "--config", cfg, "--sites", "dc1", "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", metricsPort)}
	}, runBound)
	if nc, err := nats.Connect(fmt.Sprintf("nats://127.0.0.1:%d", natsPort)); err == nil {
		nc.Close()
		t.Fatal("a client without a key connected to run's embedded NATS server")
	}
	// A second run on the same data_dir stops before it starts anything
	// on the first one's files.
	if _, stderr, err := runCmd(t, env, "run", "--config", cfg, "--no-workers"); err == nil ||
		!strings.Contains(stderr, "is in use by another linkwatch run (pid ") || strings.Contains(stderr, "embedded nats") {
		t.Fatalf("second run on the same data_dir: err %v, stderr:\n%s", err, stderr)
	}
	exportSiteKey(t, dir, cfg, "dc2")
	remote := writeFile(t, dir, "remote.yaml", configIn(dir+"/remote-data", ", nkey_seed_file: dc2.nk")(fleet.configDevices("r1", "r2")))
	startProc(t, "worker dc2", env, "worker", "--config", remote, "--site", "dc2")
	subjectRE := regexp.MustCompile(`(?m)^Subject: `)
	emails := func() int { return len(subjectRE.FindAllString(run.stdout.String(), -1)) }

	waittest.For(t, 60*time.Second, func() error {
		n := 0
		for _, r := range statusOf(t, cfg) {
			if r.State == "UP" && r.Since != "" && r.LastChecked != "" {
				n++
			}
		}
		if n != 4 {
			return fmt.Errorf("%d links UP in status, want 4", n)
		}
		return nil
	})
	if n := emails(); n != 0 {
		t.Fatalf("%d emails before any change:\n%s", n, run.stdout.String())
	}

	atLeast := func(n int) func() error {
		return func() error {
			if got := emails(); got < n {
				return fmt.Errorf("%d emails, want %d", got, n)
			}
			return nil
		}
	}
	inState := func(link, state string) func() error {
		return func() error {
			if got := statusOf(t, cfg)[link].State; got != state {
				return fmt.Errorf("status shows %s %q, want %s", link, got, state)
			}
			return nil
		}
	}
	fleet.flip(map[string]string{"r2 10.0.0.2": "down"})
	waittest.For(t, 60*time.Second, atLeast(1))
	waittest.For(t, 30*time.Second, inState("r2 10.0.0.2", "DOWN"))
	fleet.flip(nil)
	waittest.For(t, 60*time.Second, atLeast(2))
	waittest.For(t, 30*time.Second, inState("r2 10.0.0.2", "UP"))
	out := run.stdout.String()
	if n := emails(); n != 2 {
		t.Fatalf("%d emails for one down and one up, want 2:\n%s", n, out)
	}
	for _, want := range []string{"r2", "10.0.0.2", "UP → DOWN", "DOWN → UP", "down for"} {
		if !strings.Contains(out, want) {
			t.Errorf("emails lack %q:\n%s", want, out)
		}
	}

	hist, stderr, err := runCmd(t, nil, "history", "r2", "10.0.0.2", "--config", cfg, "--output", "json")
	if err != nil {
		t.Fatalf("history: %v\n%s", err, stderr)
	}
	var tos []string
	for _, line := range strings.Split(strings.TrimSpace(hist), "\n") {
		var c struct{ From, To, At string }
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		if c.At == "" {
			t.Errorf("history line %q has no time", line)
		}
		tos = append(tos, c.From+">"+c.To)
	}
	if got := strings.Join(tos, " "); got != "DOWN>UP UP>DOWN >UP" {
		t.Errorf("history newest first = %q, want %q", got, "DOWN>UP UP>DOWN >UP")
	}

	// Prometheus metrics tell the same story.
	metrics := scrape(t, metricsPort)
	for _, want := range []string{
		`linkwatch_notifier_link_changes_total{to="DOWN"} 1`,
		`linkwatch_notifier_emails_total{outcome="sent"} 2`,
		`linkwatch_notifier_mailer_leader 1`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, name := range []string{`linkwatch_scheduler_jobs_published_total{site="dc1"}`, `linkwatch_worker_jobs_total{outcome="probed"}`} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` [1-9]`).MatchString(metrics) {
			t.Errorf("metrics: %s is not positive", name)
		}
	}

	// SIGHUP re-reads the inventory: a new device is probed.
	writeFile(t, dir, "linkwatch.yaml", config(fleet.configDevices()))
	if err := run.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 30*time.Second, inState("r3 10.0.0.1", "UP")) // the device added by the reload

	// Ctrl-C stops everything cleanly.
	run.stop(syscall.SIGINT)
	if !run.cmd.ProcessState.Success() {
		t.Errorf("run after Ctrl-C: %v\n%s", run.cmd.ProcessState, run.stderr.String())
	}
}

// scrape reads the Prometheus metrics served on port.
func scrape(t *testing.T, port int) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		t.Fatalf("scrape metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape metrics: %s %v", resp.Status, err)
	}
	return string(body)
}
