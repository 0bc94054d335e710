package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker"
)

// maxTargets bounds --targets: simulated targets are 10.0.0.1 to
// 10.0.0.250.
const maxTargets = 250

// testbed is what a run probes: the configuration (the file's, or one
// written for the simulated devices), its devices with their credentials
// resolved, the worker's prober for them, and the simulator serving them
// when bench started one.
type testbed struct {
	cfg     *config.Config
	devices []worker.Device
	prober  *worker.Prober
	// sim serves the simulated devices; nil for the devices of a file.
	sim *simProc
}

func (tb *testbed) close() {
	if tb.sim != nil {
		tb.sim.stop()
	}
}

// setUp builds the testbed of opts in dir: the configuration file's
// devices, or simulated ones served by a child `linkwatch sim`.
func setUp(ctx context.Context, opts Options, dir string) (*testbed, error) {
	tb := &testbed{}
	path, log := opts.Config, opts.Log
	if path == "" {
		sim, cfgPath, err := simulate(ctx, opts, dir)
		if err != nil {
			return nil, err
		}
		// The configuration is bench's own: its insecure host keys (the
		// simulator's throwaway keys) need no warning.
		tb.sim, path, log = sim, cfgPath, slog.New(slog.DiscardHandler)
	}
	cfg, err := config.Load(path)
	if err != nil {
		tb.close()
		return nil, err
	}
	tb.cfg = cfg
	if err := tb.load(opts, log); err != nil {
		tb.close()
		return nil, err
	}
	return tb, nil
}

// load checks the devices' addresses and resolves their credentials, and
// builds the prober with the configured host key policy (pins kept where
// `linkwatch check` keeps them).
func (tb *testbed) load(opts Options, log *slog.Logger) error {
	if len(tb.cfg.Devices) == 0 {
		return fmt.Errorf("%s: no device to probe", opts.Config)
	}
	if err := loopbackOnly(tb.cfg, opts); err != nil {
		return err
	}
	devices, err := app.ProbeDevices(tb.cfg, tb.cfg.Devices)
	if err != nil {
		return err
	}
	tb.devices = devices
	pins := &worker.FilePins{Path: app.CheckPinsFile(tb.cfg)}
	tb.prober, err = app.Prober(tb.cfg, tb.cfg.Sites(), pins, "bench "+app.WorkerID(), log)
	return err
}

// loopbackOnly refuses devices and jump hosts not on a loopback address
// unless opts allow them, and warns when they do.
func loopbackOnly(cfg *config.Config, opts Options) error {
	var remote []string
	for _, d := range cfg.Devices {
		if !isLoopback(d.Host) {
			remote = append(remote, d.Name+" ("+d.Host+")")
		}
		if d.Jump != nil && !isLoopback(d.Jump.Host) {
			remote = append(remote, d.Name+" through "+d.Jump.Name+" ("+d.Jump.Host+")")
		}
	}
	if len(remote) == 0 {
		return nil
	}
	if len(remote) > 3 {
		remote = append(remote[:3], fmt.Sprintf("and %d more", len(remote)-3))
	}
	if !opts.AllowRemote {
		return fmt.Errorf("%s: devices not on a loopback address: %s; bench logs in to each device many times: pass --allow-remote to bench them",
			opts.Config, strings.Join(remote, ", "))
	}
	opts.Log.Warn("benching devices not on a loopback address: each is logged in to many times", "devices", strings.Join(remote, ", "))
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// simulate serves opts.Devices simulated devices from a child `linkwatch
// sim` and writes the configuration that probes them; it returns the
// simulator and the configuration's path.
func simulate(ctx context.Context, opts Options, dir string) (*simProc, string, error) {
	password, err := randomHex(16)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, opts.Devices)
	for i := range names {
		names[i] = fmt.Sprintf("r%05d", i+1)
	}
	targets := make([]string, opts.Targets)
	for i := range targets {
		targets[i] = fmt.Sprintf("10.0.0.%d", i+1)
	}
	sim, err := startSim(ctx, opts, dir, fleetFile(names, opts.Platform, password, targets), names)
	if err != nil {
		return nil, "", err
	}
	passwordFile := filepath.Join(dir, "password")
	cfgPath := filepath.Join(dir, "linkwatch.yaml")
	err = os.WriteFile(passwordFile, []byte(password), 0o600)
	if err == nil {
		err = os.WriteFile(cfgPath, []byte(configFile(dir, passwordFile, opts, names, sim.addrs, targets)), 0o600)
	}
	if err != nil {
		sim.stop()
		return nil, "", fmt.Errorf("write the bench configuration: %w", err)
	}
	return sim, cfgPath, nil
}

// fleetFile is the simulator's fleet: each device with every target up.
func fleetFile(names []string, platform, password string, targets []string) []byte {
	var b strings.Builder
	b.WriteString("devices:\n")
	up := make([]string, len(targets))
	for i, t := range targets {
		up[i] = t + ": up"
	}
	for _, n := range names {
		fmt.Fprintf(&b, "  - { name: %s, platform: %s, username: admin, password: %q, targets: { %s } }\n",
			n, platform, password, strings.Join(up, ", "))
	}
	return []byte(b.String())
}

// configFile is the linkwatch configuration of the simulated devices at
// addrs: one ping of 1 s per target, the simulator's throwaway host keys
// not checked.
func configFile(dir, passwordFile string, opts Options, names []string, addrs map[string]string, targets []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `data_dir: %q
notify: { from: linkwatch-bench@example.net, to: [noc@example.net], group_wait: 0s }
credentials:
  bench: { username: admin, password_file: %q }
worker: { host_keys: insecure, concurrency: %d }
defaults:
  credentials: bench
  site: bench
  ping: { count: 1, timeout: 1s }
devices:
`, filepath.Join(dir, "data"), passwordFile, opts.Concurrency)
	for _, n := range names {
		host, port, _ := net.SplitHostPort(addrs[n])
		fmt.Fprintf(&b, "  - { name: %s, host: %s, port: %s, platform: %s, targets: [%s] }\n",
			n, host, port, opts.Platform, strings.Join(targets, ", "))
	}
	return b.String()
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
