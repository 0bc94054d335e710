package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto/localnats"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// waitServices are the three services of a waiting test, each a process
// of the built binary serving /readyz on its own port.
type waitServices struct {
	procs map[string]*proc
	ports map[string]int
}

// startWaitServices starts the scheduler, a worker of site a and the
// notifier on the configuration cfg, each with --metrics-listen.
func startWaitServices(t *testing.T, cfg string) waitServices {
	t.Helper()
	s := waitServices{procs: map[string]*proc{}, ports: map[string]int{}}
	for name, args := range map[string][]string{
		"scheduler": {"scheduler"},
		"worker":    {"worker", "--site", "a", "--id", "wa"},
		"notifier":  {"notifier"},
	} {
		p, ports := startBound(t, name, healthEnv, 1, func(ports []int) []string {
			return append(args, "--config", cfg, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", ports[0]))
		}, metricsBound)
		s.procs[name], s.ports[name] = p, ports[0]
	}
	return s
}

// ready waits until every service answers /readyz with 200.
func (s waitServices) ready(t *testing.T) {
	t.Helper()
	s.answer(t, 200, "ready\n")
}

// answer waits until every service answers /readyz with code and a body
// holding want.
func (s waitServices) answer(t *testing.T, code int, want string) {
	t.Helper()
	for name, port := range s.ports {
		waittest.For(t, 30*time.Second, func() error {
			if err := answers(port, "/readyz", code, want)(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
}

// alive fails the test for each service that exited.
func (s waitServices) alive(t *testing.T) {
	t.Helper()
	for name, p := range s.procs {
		select {
		case <-p.done:
			t.Errorf("%s exited (%v); it should have waited", name, p.cmd.ProcessState)
		default:
		}
	}
}

// once fails the test unless the log of the service name holds line
// exactly once.
func (s waitServices) once(t *testing.T, name, line string) {
	t.Helper()
	if n := strings.Count(s.procs[name].stderr.String(), line); n != 1 {
		t.Errorf("%s logged %q %d times, want once", name, line, n)
	}
}

// TestServicesWaitForServers starts the scheduler, a worker and the
// notifier before NATS and Redis exist, on ports chosen in advance: each
// stays up, not ready, saying once what it waits for; NATS comes and the
// scheduler and the worker are ready while the notifier still waits for
// Redis; Redis comes and a probe result reaches the store.
func TestServicesWaitForServers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end waiting test skipped in -short mode")
	}
	dir := t.TempDir()
	ports := freePorts(t, 2)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", ports[0])
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/0", ports[1])
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "a"}}, "10.0.0.1")
	cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf("url: %q", natsURL), fleet.configDevices())+
		fmt.Sprintf("state: { redis_url: %q }\n", redisURL))
	s := startWaitServices(t, cfg)

	waitingNATS := "waiting for NATS at " + natsURL
	for name, port := range s.ports {
		waittest.For(t, 30*time.Second, func() error {
			if err := printed(s.procs[name].stderr, waitingNATS); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return answers(port, "/readyz", 503, waitingNATS)()
		})
	}
	if err := answers(s.ports["notifier"], "/readyz", 503, "store: waiting for Redis at "+redisURL)(); err != nil {
		t.Error(err)
	}

	localnatstest.StartOn(t, ports[0], dir+"/nats")
	for _, name := range []string{"scheduler", "worker"} {
		waittest.For(t, 30*time.Second, answers(s.ports[name], "/readyz", 200, "ready\n"))
	}
	waittest.For(t, 30*time.Second, func() error {
		if err := printed(s.procs["notifier"].stderr, "waiting for Redis at "+redisURL); err != nil {
			return err
		}
		return answers(s.ports["notifier"], "/readyz", 503, "store: waiting for Redis at "+redisURL+": ")()
	})

	redistest.Start(t, redistest.Port(ports[1]))
	linksUp(t, openRedis(t, redisURL, ""), 1)
	s.ready(t)
	s.alive(t)
	for name := range s.procs {
		s.once(t, name, `msg="waiting for NATS at `+natsURL+`"`)
		s.once(t, name, `msg="done waiting for NATS at `+natsURL+`"`)
	}
	s.once(t, "notifier", `msg="waiting for Redis at `+redisURL+`"`)
	s.once(t, "notifier", `msg="done waiting for Redis at `+redisURL+`"`)
	if strings.Contains(s.procs["notifier"].stderr.String(), "connection pool: failed to dial") {
		t.Error("the notifier let the Redis client library log on its own")
	}
}

// TestServicesSurviveNATSRestart stops the NATS server under running
// services and starts it again on the same port, with its store and then
// with an empty one: every service stays up, is not ready while the server
// is away, and results flow again once it is back.
func TestServicesSurviveNATSRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end waiting test skipped in -short mode")
	}
	dir := t.TempDir()
	port := freePorts(t, 1)[0]
	ns := localnatstest.StartOn(t, port, dir+"/nats")
	redisURL := redistest.Start(t)
	prefix := redistest.Prefix(t)
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "a"}}, "10.0.0.1")
	cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf("url: %q", ns.ClientURL()), fleet.configDevices())+
		fmt.Sprintf("state: { redis_url: %q, prefix: %q }\n", redisURL, prefix))
	s := startWaitServices(t, cfg)
	st := openRedis(t, redisURL, prefix)
	linksUp(t, st, 1)
	s.ready(t)

	// The same store: streams, consumers and buckets come back with it.
	ns = restartNATS(t, s, ns, port, dir+"/nats")
	s.flowing(t, st)
	// An empty store: the scheduler and the notifier make their streams
	// again, the worker binds its consumer again, the notifier its own.
	restartNATS(t, s, ns, port, dir+"/nats-empty")
	s.flowing(t, st)
	s.alive(t)
}

// restartNATS shuts ns down, waits until every service says it is not
// connected, and starts a server again on port with its store in dir.
func restartNATS(t *testing.T, s waitServices, ns *localnats.Server, port int, dir string) *localnats.Server {
	t.Helper()
	ns.Shutdown()
	s.answer(t, 503, "not connected")
	return localnatstest.StartOn(t, port, dir)
}

// flowing waits until every service is ready and r1 has results in st
// from after now.
func (s waitServices) flowing(t *testing.T, st state.Store) {
	t.Helper()
	before := lastResult(t, st, "r1")
	s.ready(t)
	waittest.For(t, 60*time.Second, func() error {
		if last := lastResult(t, st, "r1"); !last.After(before.Add(2 * time.Second)) {
			return fmt.Errorf("last result of r1 at %v, want two more after %v", last, before)
		}
		return nil
	})
}

// TestCLIFailsFastWithoutNATS: the commands a person runs do not wait for
// NATS as the services do; they fail at once and say why.
func TestCLIFailsFastWithoutNATS(t *testing.T) {
	dir := t.TempDir()
	url := fmt.Sprintf("nats://127.0.0.1:%d", freePorts(t, 1)[0])
	cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf("url: %q", url), healthDevice(freePorts(t, 1)[0])))
	for _, args := range [][]string{{"status"}, {"history", "r1"}, {"hostkeys", "list"}} {
		start := time.Now()
		_, stderr, err := runCmd(t, healthEnv, append(args, "--config", cfg)...)
		if took := time.Since(start); err == nil || took > 15*time.Second {
			t.Errorf("linkwatch %s without NATS: err %v after %v, want a failure at once", strings.Join(args, " "), err, took)
		}
		if want := "connect to nats " + url + ": nats: no servers available for connection (is linkwatch running?)"; !strings.Contains(stderr, want) {
			t.Errorf("linkwatch %s without NATS says %q, want %q", strings.Join(args, " "), stderr, want)
		}
	}
}

// TestRunWaitsForNATS starts `linkwatch run` pointed at a NATS server
// that is not there yet: it stays up, not ready, saying once what it waits
// for, and probes once the server comes.
func TestRunWaitsForNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end waiting test skipped in -short mode")
	}
	dir := t.TempDir()
	natsPort := freePorts(t, 1)[0]
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	redisURL, prefix := redistest.Start(t), redistest.Prefix(t)
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "a"}}, "10.0.0.1")
	cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf("url: %q", natsURL), fleet.configDevices())+
		fmt.Sprintf("state: { redis_url: %q, prefix: %q }\n", redisURL, prefix))
	p, ports := startBound(t, "run", healthEnv, 1, func(ports []int) []string {
		return []string{"run", "--config", cfg, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", ports[0])}
	}, metricsBound)
	s := waitServices{procs: map[string]*proc{"run": p}, ports: map[string]int{"run": ports[0]}}
	s.answer(t, 503, "nats scheduler: waiting for NATS at "+natsURL)
	if err := answers(ports[0], "/readyz", 503, "nats worker-a: waiting for NATS at "+natsURL)(); err != nil {
		t.Error(err)
	}

	localnatstest.StartOn(t, natsPort, dir+"/nats")
	linksUp(t, openRedis(t, redisURL, prefix), 1)
	s.ready(t)
	s.alive(t)
	s.once(t, "run", `msg="waiting for NATS at `+natsURL+`"`)
}
