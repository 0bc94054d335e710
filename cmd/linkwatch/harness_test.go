package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// binary is the linkwatch binary built once for the end-to-end tests,
// which run it as real processes, as a user would.
var binary string

// raceBuild is set by race_test.go when the tests run with -race.
var raceBuild bool

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "linkwatch-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "linkwatch")
	args := []string{"build", "-o", binary}
	if raceBuild {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build linkwatch: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running linkwatch process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	stdout *waittest.Buffer
	stderr *waittest.Buffer
	done   chan struct{}
}

// startProc runs the linkwatch binary with args and env (added to the
// test's environment); it is killed at cleanup, and its output is logged
// when the test fails.
func startProc(t testing.TB, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(binary, args...), stdout: &waittest.Buffer{}, stderr: &waittest.Buffer{},
		done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(syscall.SIGTERM)
		if strings.Contains(p.stderr.String(), "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector reported a data race", name)
		}
		if t.Failed() {
			t.Logf("--- %s stdout:\n%s\n--- %s stderr:\n%s", name, tail(p.stdout.String()), name, tail(p.stderr.String()))
		}
	})
	return p
}

func tail(s string) string {
	const max = 6000
	if len(s) > max {
		return "…" + s[len(s)-max:]
	}
	return s
}

// stop signals the process and waits for it (SIGKILL after 10 s).
func (p *proc) stop(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// kill ends the process at once, as a crash would.
func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// runCmd runs the binary to completion and returns stdout, stderr and err.
func runCmd(t testing.TB, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if strings.Contains(errOut.String(), "WARNING: DATA RACE") {
		t.Errorf("linkwatch %s: the race detector reported a data race:\n%s", strings.Join(args, " "), errOut.String())
	}
	return out.String(), errOut.String(), err
}

// freePorts returns n distinct loopback ports that nothing listened on a
// moment ago, for a child process to bind: the linkwatch and sim commands
// bind the ports their files name, so they cannot be handed a listener.
// That is racy by nature: another process may take a port before the
// child binds it. To make that unlikely, the ports are picked at random
// below the kernel's ephemeral range (ip_local_port_range), where neither
// listeners on port 0 (other tests' servers) nor outgoing connections
// land; and startBound starts a child again on fresh ports when it
// reports "address already in use".
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	lo, hi := 10000, ephemeralStart()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 || hi-lo < 10*n {
			t.Fatalf("no %d free ports in %d..%d", n, lo, hi-1)
		}
		port := lo + rand.N(hi-lo)
		if slices.Contains(ports, port) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken
		}
		l.Close()
		ports = append(ports, port)
	}
	return ports
}

// ephemeralStart is the first port of the kernel's ephemeral range, or the
// IANA one (49152) where that cannot be read.
func ephemeralStart() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 49152
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 49152
	}
	lo, err := strconv.Atoi(fields[0])
	if err != nil {
		return 49152
	}
	return lo
}

// startBound starts the binary like startProc, on n ports from freePorts
// that args (given the ports, returning the command line) writes into the
// files the process reads, and returns once bound says, from the
// process's output, that it listens on all of them: a port that answers
// could be another process's. When the process exits because a port was
// taken meanwhile ("address already in use"), it is started again on fresh
// ports, up to three times.
func startBound(t testing.TB, name string, env []string, n int, args func(ports []int) []string,
	bound func(p *proc, ports []int) error) (*proc, []int) {
	t.Helper()
	const attempts = 3
	for attempt := 1; ; attempt++ {
		ports := freePorts(t, n)
		p := startProc(t, name, env, args(ports)...)
		exited := false
		waittest.For(t, 20*time.Second, func() error {
			select {
			case <-p.done:
				exited = true
				return nil
			default:
			}
			return bound(p, ports)
		})
		if !exited {
			return p, ports
		}
		if !strings.Contains(p.stderr.String(), "address already in use") || attempt == attempts {
			t.Fatalf("%s exited on ports %v (attempt %d of %d): %v\n%s", name, ports, attempt, attempts,
				p.cmd.ProcessState, tail(p.stderr.String()))
		}
		t.Logf("%s: a port of %v was taken before it could bind it; starting it again on others", name, ports)
	}
}

// simBound is startBound's bound for `linkwatch sim`, which prints each
// device's address once all of them listen.
func simBound(p *proc, ports []int) error {
	var wants []string
	for _, port := range ports {
		wants = append(wants, fmt.Sprintf(" 127.0.0.1:%d\n", port))
	}
	return printed(p.stdout, wants...)
}

// runBound is startBound's bound for `linkwatch run` on the port of its
// embedded NATS server and, when there is a second, its metrics port: it
// logs the URL of each once it listens.
func runBound(p *proc, ports []int) error {
	wants := []string{fmt.Sprintf("url=nats://127.0.0.1:%d", ports[0])}
	if len(ports) > 1 {
		wants = append(wants, metricsLogged(ports[1]))
	}
	return printed(p.stderr, wants...)
}

// metricsBound is startBound's bound for a service on its one port, that
// of --metrics-listen.
func metricsBound(p *proc, ports []int) error {
	return printed(p.stderr, metricsLogged(ports[0]))
}

// metricsLogged is what a service logs once it serves metrics and health
// on port.
func metricsLogged(port int) string {
	return fmt.Sprintf("url=http://127.0.0.1:%d/metrics", port)
}

// printed is nil once out holds every one of wants.
func printed(out *waittest.Buffer, wants ...string) error {
	text := out.String()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			return fmt.Errorf("no %q in the output yet", want)
		}
	}
	return nil
}

// testConfig is the configuration of the end-to-end tests that run the
// services: probes every 2 s, one 1 s ping per target with the lab
// credential (LW_LAB_PASSWORD), emails on standard output at once, sites
// without results alerted only after an hour (the tests that count emails
// must not see one because a loaded machine fell behind); nats is the body
// of the nats section, devices the list of devices.
func testConfig(dataDir, nats, devices string) string {
	return fmt.Sprintf(`
interval: 2s
data_dir: %s
nats: { %s }
notify: { from: linkwatch@example.net, to: [noc@example.net], group_wait: 0s, stale_after: 1h }
credentials:
  lab: { username: admin, password_env: LW_LAB_PASSWORD }
defaults:
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
%s`, dataDir, nats, devices)
}

// writeFile writes text (dedented by the caller) to dir/name.
func writeFile(t testing.TB, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.TrimLeft(text, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// statusOf runs `linkwatch status --output json` with args against the
// running system of configuration cfg and returns its rows by "device
// target" (a device row's target is ""); nil when the command fails.
func statusOf(t testing.TB, cfg string, args ...string) map[string]statusRow {
	t.Helper()
	out, _, err := runCmd(t, nil, append([]string{"status", "--config", cfg, "--output", "json"}, args...)...)
	if err != nil {
		return nil
	}
	rows := map[string]statusRow{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r statusRow
		if json.Unmarshal([]byte(line), &r) == nil {
			rows[r.Device+" "+r.Target] = r
		}
	}
	return rows
}

// exportSiteKey writes the NATS key of site's workers, as `creds export`
// gives it from the running `linkwatch run` of configuration cfg, to
// dir/<site>.nk and returns its path.
func exportSiteKey(t testing.TB, dir, cfg, site string) string {
	t.Helper()
	seed := filepath.Join(dir, site+".nk")
	if _, stderr, err := runCmd(t, nil, "creds", "export", "--config", cfg, "--site", site, "--output", seed); err != nil {
		t.Fatalf("creds export: %v\n%s", err, stderr)
	}
	return seed
}
