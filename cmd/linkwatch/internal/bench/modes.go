package bench

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/floor"
)

// A Mode probes one device: Probe returns nil when every target was
// pinged, else why not. Close ends what the mode keeps open across probes.
type Mode interface {
	Probe(ctx context.Context, d worker.Device) error
	Close()
}

// The modes of --mode.
const (
	ModePerProbe    = "per-probe"
	ModePersistent  = "persistent"
	ModeBaselineSSH = "baseline-ssh"
)

// modes builds each mode of --mode for a testbed.
var modes = map[string]func(tb *testbed) (Mode, error){
	// The worker's probe: one SSH session per probe.
	ModePerProbe: func(tb *testbed) (Mode, error) { return results{tb.prober}, nil },
	// One SSH session per device kept across probes.
	// (worker.Sessions: the first probe of a device logs in, later ones
	// only ping).
	ModePersistent: func(tb *testbed) (Mode, error) {
		return persistent{results{worker.NewSessions(tb.prober, worker.SessionsConfig{})}}, nil
	},
	// The floor: the same lines typed by a bare x/crypto/ssh client.
	ModeBaselineSSH: newBaseline,
}

func modeNames() string {
	var names []string
	for n := range modes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// DeviceProber is how the worker probes a device: worker.Prober opens a
// session per probe; a prober that keeps sessions open has Close too.
type DeviceProber interface {
	Probe(ctx context.Context, d worker.Device) worker.DeviceResult
}

// results is the Mode of a DeviceProber: a failed result is the probe's
// error, with its failure kind and text.
type results struct{ p DeviceProber }

func (r results) Probe(ctx context.Context, d worker.Device) error {
	res := r.p.Probe(ctx, d)
	if res.Failed() {
		return fmt.Errorf("%s: %s", res.Failure.Short(), res.FailureText)
	}
	return nil
}

func (r results) Close() {
	if c, ok := r.p.(interface{ Close() }); ok {
		c.Close()
	}
}

// persistent is a Mode that keeps a session per device across probes:
// runProbes opens them first, untimed, so that the figures are those of
// probes on open sessions (the logins are per-probe's cost, once).
type persistent struct{ results }

func (persistent) keepsSessions() {}

// baseline is the floor (package floor) of the worker's probe: the same
// script, the same host key policy and the same time budget, over a bare
// SSH client that dials devices directly. The probe's budget
// (worker.Prober.Budget) bounds all of it.
type baseline struct{ p *worker.Prober }

func newBaseline(tb *testbed) (Mode, error) {
	for _, d := range tb.devices {
		if d.Jump.Host != "" {
			return nil, fmt.Errorf("--mode %s dials devices directly: device %s is behind jump host %s", ModeBaselineSSH, d.Name, d.Jump.Name)
		}
	}
	return baseline{tb.prober}, nil
}

func (b baseline) Probe(ctx context.Context, d worker.Device) error {
	ctx, cancel := context.WithTimeout(ctx, b.p.Budget(d))
	defer cancel()
	script, err := worker.ScriptFor(d.Platform, d.Targets)
	if err != nil {
		return err
	}
	check, algos, err := b.p.HostKeys.ForDevice(ctx, d)
	if err != nil {
		return fmt.Errorf("host key policy: %w", err)
	}
	cfg := &ssh.ClientConfig{User: d.Username, Auth: []ssh.AuthMethod{ssh.Password(d.Password)},
		HostKeyCallback: check}
	// The worker's algorithms, then the host key's, as the worker orders
	// them: the same key exchange is negotiated (Go's default, a hybrid
	// post-quantum one, costs about twice curve25519's CPU).
	d.Algorithms.Apply(cfg)
	if len(algos) > 0 {
		cfg.HostKeyAlgorithms = algos
	}
	return floor.Probe(ctx, net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), cfg, script.Prompt, script.Lines)
}

func (baseline) Close() {}
