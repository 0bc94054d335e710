package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestHealthRun starts `linkwatch run` with --metrics-listen: /healthz
// answers at once, /readyz once NATS, the store, the streams and the
// worker's consumer are there, and `linkwatch healthcheck` says the same
// with its exit code.
func TestHealthRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end health test skipped in -short mode")
	}
	dir := t.TempDir()
	closed := freePorts(t, 1)[0] // nothing listens there
	var metricsPort int
	startBound(t, "run", healthEnv, 2, func(ports []int) []string {
		metricsPort = ports[1]
		cfg := writeFile(t, dir, "linkwatch.yaml",
			testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]), healthDevice(closed)))
		return []string{"run", "--config", cfg, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", metricsPort)}
	}, runBound)

	if err := answers(metricsPort, "/healthz", 200, "ok\n")(); err != nil {
		t.Error(err)
	}
	waittest.For(t, 30*time.Second, answers(metricsPort, "/readyz", 200, "ready\n"))
	for _, tc := range []struct {
		name, url string
		code      int
		out       string // in stdout for 0, in stderr otherwise
	}{
		{"ready", fmt.Sprintf("http://127.0.0.1:%d/readyz", metricsPort), 0, "ready\n"},
		{"alive", fmt.Sprintf("http://127.0.0.1:%d/healthz", metricsPort), 0, "ok\n"},
		{"nothing there", fmt.Sprintf("http://127.0.0.1:%d/readyz", closed), 1, "connect: connection refused"},
		{"not a health URL", fmt.Sprintf("http://127.0.0.1:%d/nosuch", metricsPort), 1, "404 Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) { healthcheck(t, tc.url, tc.code, tc.out) })
	}
}

// TestHealthServices starts a worker before anything made its streams,
// as a remote site may come up first: it is alive but not ready, naming
// its consumer, until the scheduler comes; then every service is ready,
// and once the NATS server is gone each names its connection, without
// the password of the NATS URL.
func TestHealthServices(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end health test skipped in -short mode")
	}
	const natsPassword = "nats-pw-in-url"
	dir := t.TempDir()
	ns := localnatstest.Start(t)
	url := strings.Replace(ns.ClientURL(), "nats://", "nats://lw:"+natsPassword+"@", 1)
	cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf("url: %q", url), healthDevice(freePorts(t, 1)[0])))
	start := func(name string, args ...string) int {
		_, ports := startBound(t, name, healthEnv, 1, func(ports []int) []string {
			return append(args, "--config", cfg, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", ports[0]))
		}, metricsBound)
		return ports[0]
	}
	worker := start("worker", "worker", "--site", "a")
	readyz := fmt.Sprintf("http://127.0.0.1:%d/readyz", worker)
	waittest.For(t, 30*time.Second, answers(worker, "/readyz", 503, "consumer worker-a: not bound yet: "))
	if _, body, _ := get(worker, "/readyz"); strings.Contains(body, "nats worker-a:") {
		t.Errorf("/readyz of a worker connected to NATS says it is not: %q", body)
	}
	healthcheck(t, readyz, 1, "503 Service Unavailable: consumer worker-a: not bound yet")

	services := map[string]int{"worker": worker,
		"scheduler": start("scheduler", "scheduler"),
		"notifier":  start("notifier", "notifier")}
	for name, port := range services {
		t.Run(name+" ready", func(t *testing.T) {
			waittest.For(t, 30*time.Second, answers(port, "/readyz", 200, "ready\n"))
		})
	}
	healthcheck(t, readyz, 0, "ready\n")

	ns.Shutdown()
	for name, want := range map[string][]string{
		"worker":    {"nats worker-a: not connected ("},
		"scheduler": {"nats scheduler: not connected (", "jobs stream: "},
		"notifier":  {"nats notifier: not connected (", "results stream: "},
	} {
		t.Run(name+" without NATS", func(t *testing.T) {
			port := services[name]
			waittest.For(t, 30*time.Second, answers(port, "/readyz", 503, want...))
			if _, body, _ := get(port, "/readyz"); strings.Contains(body, natsPassword) || strings.Contains("\n"+body, "\nstore:") {
				t.Errorf("/readyz shows the NATS password or a store failure:\n%s", body)
			}
			if err := answers(port, "/healthz", 200, "ok\n")(); err != nil {
				t.Errorf("alive without NATS: %v", err)
			}
		})
	}
	healthcheck(t, readyz, 1, "nats worker-a: not connected (")
}

var healthEnv = []string{"LW_LAB_PASSWORD=lab-secret"}

// healthDevice is the one device of the health tests, at site a, on a
// port nothing listens on.
func healthDevice(port int) string {
	return fmt.Sprintf("  - { name: r1, host: 127.0.0.1, port: %d, platform: cisco_iosxe, site: a, targets: [10.0.0.1] }\n", port)
}

// get asks path of the service serving metrics on port.
func get(port int, path string) (int, string, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// answers is a condition for waittest.For: path on port answers code with
// a body holding every one of wants.
func answers(port int, path string, code int, wants ...string) func() error {
	return func() error {
		got, body, err := get(port, path)
		if err != nil {
			return err
		}
		if got != code {
			return fmt.Errorf("%s answers %d %q, want %d", path, got, body, code)
		}
		for _, want := range wants {
			if !strings.Contains(body, want) {
				return fmt.Errorf("%s answers %d %q, want %q in it", path, got, body, want)
			}
		}
		return nil
	}
}

// healthcheck runs `linkwatch healthcheck --url url` and checks its exit
// code and its output: stdout on success, stderr on failure.
func healthcheck(t *testing.T, url string, code int, want string) {
	t.Helper()
	stdout, stderr, err := runCmd(t, nil, "healthcheck", "--url", url)
	got, out := 0, stdout
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
		got, out = exit.ExitCode(), stderr
	} else if err != nil {
		t.Fatalf("healthcheck: %v", err)
	}
	if got != code || !strings.Contains(out, want) {
		t.Errorf("healthcheck --url %s: exit %d, stdout %q, stderr %q; want exit %d with %q", url, got, stdout, stderr, code, want)
	}
}
