package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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
		err := fmt.Errorf("%s: %s", res.Failure.Short(), res.FailureText)
		if res.Failure == worker.FailureAuth {
			err = fmt.Errorf("%w: %w", errRefused, err)
		}
		return err
	}
	return nil
}

// errRefused marks a probe whose device refused the login.
var errRefused = errors.New("login refused")

// serialMode is a Mode that probes each device by one probe at a time (a
// device is never in two of the bench's sessions at once) and never logs
// in again to a device that refused the login: the rest of its probes
// fail, counted, without contacting it, so that a wrong password is never
// tried P times against a real device's account.
type serialMode struct {
	Mode
	index   map[string]int
	locks   []sync.Mutex
	refused []atomic.Pointer[error] // the device's refusal
}

func oneAtATime(m Mode, devices []worker.Device) *serialMode {
	s := &serialMode{Mode: m, index: map[string]int{}, locks: make([]sync.Mutex, len(devices)),
		refused: make([]atomic.Pointer[error], len(devices))}
	for i, d := range devices {
		s.index[d.Name] = i
	}
	return s
}

func (s *serialMode) Probe(ctx context.Context, d worker.Device) error {
	i, ok := s.index[d.Name]
	if !ok {
		return s.Mode.Probe(ctx, d)
	}
	s.locks[i].Lock()
	defer s.locks[i].Unlock()
	if refusal := s.refused[i].Load(); refusal != nil {
		return fmt.Errorf("%s is not contacted again: %w", d.Name, *refusal)
	}
	err := s.Mode.Probe(ctx, d)
	if errors.Is(err, errRefused) {
		s.refused[i].Store(&err)
	}
	return err
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
	err = floor.Probe(ctx, net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), cfg, script.Prompt, script.Lines)
	if err != nil && strings.Contains(err.Error(), "ssh: unable to authenticate") {
		err = fmt.Errorf("%w: %w", errRefused, err)
	}
	return err
}

func (baseline) Close() {}
