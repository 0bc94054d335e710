package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/store"
)

// labPassword is the simulated routers' password, handed to the workers
// in LW_CHAOS_LAB_PASSWORD.
const labPassword = "chaos-lab-secret"

// platforms are given to the devices in turn.
var platforms = []string{"cisco_iosxe", "cisco_iosxr", "cisco_nxos", "arista_eos", "juniper_junos"}

// system is one run's directory, ports and processes.
type system struct {
	opts    Options
	dir     string
	sup     *supervisor
	devices []simDevice
	flipper *flipper
	sim     *process

	natsPort, redisPort, smtpPort int
	config                        string // linkwatch.yaml
}

// layout picks the ports and writes the fleet file and linkwatch.yaml.
func (s *system) layout() error {
	for _, d := range []string{"logs", "mail", "data", "redis", "nats"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o700); err != nil {
			return err
		}
	}
	n := s.opts.Sites * s.opts.DevicesPerSite
	ports, err := freePorts(n + 3)
	if err != nil {
		return err
	}
	s.natsPort, s.redisPort, s.smtpPort = ports[0], ports[1], ports[2]
	for i := range n {
		site := i / s.opts.DevicesPerSite
		d := simDevice{name: fmt.Sprintf("dc%d-r%d", site+1, i%s.opts.DevicesPerSite+1), site: fmt.Sprintf("dc%d", site+1),
			platform: platforms[i%len(platforms)], port: ports[3+i]}
		for t := range s.opts.TargetsPerDevice {
			d.targets = append(d.targets, fmt.Sprintf("10.%d.%d.%d", site+1, i%s.opts.DevicesPerSite+1, t+1))
		}
		s.devices = append(s.devices, d)
	}
	s.flipper = newFlipper(filepath.Join(s.dir, "fleet.yaml"), s.devices, s.opts.HoldPings, s.opts.HoldMin, s.opts.Seed)
	if err := s.flipper.write(); err != nil {
		return err
	}
	s.config = filepath.Join(s.dir, "linkwatch.yaml")
	return os.WriteFile(s.config, []byte(s.linkwatchConfig()), 0o600)
}

// linkwatchConfig probes every interval with one ping per target, confirms
// a change at once, groups alerts for a moment only and has no flap rule
// (every link here flips far more often than a real one).
func (s *system) linkwatchConfig() string {
	var b strings.Builder
	fmt.Fprintf(&b, `interval: %s
data_dir: %s
nats: { url: "nats://127.0.0.1:%d" }
state: { redis_url: "redis://127.0.0.1:%d/0", prefix: "chaos:" }
notify:
  from: linkwatch@example.net
  to: [noc@example.net]
  group_wait: 2s
  confirm: 1
  flap: { changes: 0 }
  smtp: { host: 127.0.0.1, port: %d, tls: none }
credentials:
  lab: { username: admin, password_env: LW_CHAOS_LAB_PASSWORD }
worker: { concurrency: 8, ack_wait: 2s }
defaults:
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
`, s.opts.Interval, filepath.Join(s.dir, "data"), s.natsPort, s.redisPort, s.smtpPort)
	for _, d := range s.devices {
		fmt.Fprintf(&b, "  - { name: %s, host: 127.0.0.1, port: %d, platform: %s, site: %s, targets: [%s] }\n",
			d.name, d.port, d.platform, d.site, strings.Join(d.targets, ", "))
	}
	return b.String()
}

// natsConfig is `linkwatch creds server-config` (every role's key, made
// under data_dir/auth, with its permissions) listening on the run's port
// with JetStream under the run's directory: the later keys replace the
// earlier ones.
func (s *system) natsConfig() error {
	cmd := exec.Command(s.opts.Linkwatch, "creds", "server-config", "--config", s.config)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("linkwatch creds server-config: %w: %s", err, errOut.String())
	}
	fmt.Fprintf(&out, "\n# The chaos run's own.\nlisten: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n}\n",
		s.natsPort, filepath.Join(s.dir, "nats"))
	return os.WriteFile(filepath.Join(s.dir, "nats.conf"), out.Bytes(), 0o600)
}

// startAll starts the servers, waits for their ports, then the sim and
// the linkwatch services.
func (s *system) startAll(ctx context.Context) error {
	env := []string{"LW_CHAOS_LAB_PASSWORD=" + labPassword}
	s.sup.start(ctx, &process{kind: "redis-server", name: "redis-server", killable: true, argv: []string{
		s.opts.RedisServer, "--port", strconv.Itoa(s.redisPort), "--bind", "127.0.0.1", "--dir", filepath.Join(s.dir, "redis"),
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"}})
	s.sup.start(ctx, &process{kind: "nats-server", name: "nats-server", killable: true,
		argv: []string{s.opts.NATSServer, "-c", filepath.Join(s.dir, "nats.conf")}})
	s.sup.start(ctx, &process{kind: "smtp-sink", name: "smtp-sink", killable: true, env: s.opts.SinkEnv,
		argv: append(append([]string(nil), s.opts.Sink...), "--listen", addr(s.smtpPort), "--dir", filepath.Join(s.dir, "mail"),
			"--crash-after-store", strconv.FormatFloat(s.opts.SinkCrash, 'g', -1, 64))})
	s.sim = &process{kind: "sim", name: "sim", argv: []string{s.opts.Linkwatch, "sim", "--fleet", s.flipper.path, "--log-level", "debug"},
		stderr: s.flipper.simLine}
	s.sup.start(ctx, s.sim)
	ports := []int{s.redisPort, s.natsPort, s.smtpPort}
	for _, d := range s.devices {
		ports = append(ports, d.port)
	}
	if err := waitPorts(ctx, ports, time.Minute); err != nil {
		return err
	}
	lw := func(kind, name string, args ...string) {
		args = append([]string{s.opts.Linkwatch, kind, "--config", s.config}, args...)
		s.sup.start(ctx, &process{kind: kind, name: name, killable: true, env: env, argv: args})
	}
	lw("notifier", "notifier-1")
	lw("notifier", "notifier-2")
	lw("scheduler", "scheduler-1")
	lw("scheduler", "scheduler-2")
	for site := range s.opts.Sites {
		for w := range 2 {
			name := fmt.Sprintf("worker-dc%d-%d", site+1, w+1)
			lw("worker", name, "--site", fmt.Sprintf("dc%d", site+1), "--id", name)
		}
	}
	return nil
}

// withStore calls fn with the run's Redis store.
func (s *system) withStore(ctx context.Context, fn func(context.Context, *store.Redis) error) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := store.OpenRedis(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", s.redisPort), "chaos:")
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st)
}

// linksUp counts the links UP in the store.
func (s *system) linksUp(ctx context.Context) (n int, err error) {
	err = s.withStore(ctx, func(ctx context.Context, st *store.Redis) error {
		devs, err := st.Devices(ctx)
		for _, d := range devs {
			for _, l := range d.Links {
				if l.State == "UP" {
					n++
				}
			}
		}
		return err
	})
	return n, err
}

// outboxEmpty reports whether the store has no alert waiting, and counts
// the parked ones.
func (s *system) outboxEmpty(ctx context.Context) (empty bool, parked int, err error) {
	err = s.withStore(ctx, func(ctx context.Context, st *store.Redis) error {
		waiting, err := st.Outbox(ctx, 0)
		if err != nil {
			return err
		}
		p, err := st.Parked(ctx)
		empty, parked = len(waiting) == 0, len(p)
		return err
	})
	return empty, parked, err
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// waitPorts waits until every port accepts a connection.
func waitPorts(ctx context.Context, ports []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, p := range ports {
		for {
			c, err := net.DialTimeout("tcp", addr(p), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("nothing listens on %s after %s: %w", addr(p), timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// freePorts returns n distinct loopback ports nothing listened on a moment
// ago, below the kernel's ephemeral range, where no outgoing connection
// lands (a server killed and started again must find its port free).
func freePorts(n int) ([]int, error) {
	lo, hi := 10000, 32768
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(data)); len(f) > 0 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				hi = v
			}
		}
	}
	var ports []int
	seen := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 10000 {
			return nil, errors.New("no free loopback ports")
		}
		p := lo + rand.N(hi-lo)
		if seen[p] {
			continue
		}
		seen[p] = true
		l, err := net.Listen("tcp", addr(p))
		if err != nil {
			continue
		}
		l.Close()
		ports = append(ports, p)
	}
	return ports, nil
}
