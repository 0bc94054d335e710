// Package sim simulates network devices over SSH for tests, benchmarks, the
// demo and docker-compose, and as a lab for other tools: every device of a
// fleet file listens on its own port of 127.0.0.1 and speaks its platform's
// CLI (IOS-XE, IOS-XR, NX-OS, EOS or JunOS) closely enough for scrapligo,
// Netmiko and plain ssh: prompts, paging and width commands, privilege
// levels, echo, CRLF, and a `ping` whose outcome per target the fleet file
// decides and whose output has the platform's real format.
//
// It also plays broken routers, so that clients can be tested against them
// end to end. A target may flood (reply lines without end, written from one
// fixed block until the client disconnects), hang (no output, no prompt
// ever again) or answer garbage (GarbageLine: a "%" error line with bytes
// that are not UTF-8 and ANSI escape sequences). A device's session may
// never show a prompt or wait before its banner, and its logins may land in
// user EXEC with an enable secret of its own, and it may offer only one of
// the password and keyboard-interactive methods (SessionBehaviour,
// LoginBehaviour). Every authentication attempt is recorded for tests
// (Server.AuthAttempts), and so are the sessions open at once on a device
// and on the fleet (Server.Sessions, Server.FleetSessions), and a test may
// drop a device's connections (Server.Disconnect); failed logins
// may lock a device's logins out for a while, as AAA does (Lockout). A device's SSH server may offer only
// the legacy algorithms of an old IOS, several host keys, or keys derived
// from another seed, which a reload can change mid-run (SSHBehaviour).
//
// A fleet may also have bastions: SSH jump hosts with logins of their own
// that forward direct-tcpip channels to the fleet's devices and nowhere
// else, recording each forward (Server.Forwards), so that clients reaching
// devices through a jump host can be tested end to end (bastion.go).
//
// Of linkwatch's own code, only the `linkwatch sim` command
// (cmd/linkwatch/sim.go), tests and benchmarks (through simtest, which
// serves a fleet for one test) import this package; the scheduler, worker
// and notifier never do.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves a fleet of simulated devices.
type Server struct {
	log     *slog.Logger
	started time.Time
	now     func() time.Time
	host    string // devices listen on it (Fleet.Host)
	vty     vty    // connections logged in to any device

	mu     sync.Mutex
	devs   map[string]*listener // devices and bastions, by name
	closed bool
	stop   func() bool // stops the ctx watch of Start

	// ports are the devices' ports (not the bastions'), to the device's
	// name: where bastions may forward. Replaced whole under mu, read
	// without it, so that a forward never waits on a reload.
	ports atomic.Pointer[map[int]string]
}

// Start binds every device of f on 127.0.0.1 (or f.Host) and serves them
// until Close or until ctx is done. When a port cannot be bound, nothing is left
// listening and the error says which device failed.
func Start(ctx context.Context, f *Fleet, log *slog.Logger) (*Server, error) {
	return start(ctx, f, log, time.Now)
}

// start is Start on the clock now (tests give a fake one).
func start(ctx context.Context, f *Fleet, log *slog.Logger, now func() time.Time) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host := f.Host
	if host == "" {
		host = "127.0.0.1"
	}
	s := &Server{log: log, started: now(), now: now, devs: map[string]*listener{}, host: host}
	var fresh []*listener
	for _, m := range f.members() {
		l, err := s.listen(m)
		if err != nil {
			closeAll(fresh)
			return nil, err
		}
		fresh = append(fresh, l)
	}
	for _, l := range fresh {
		s.devs[l.name] = l
	}
	s.publishPorts()
	for _, l := range fresh {
		l.serve()
	}
	s.stop = context.AfterFunc(ctx, func() { _ = s.Close() })
	return s, nil
}

// listen binds the port of one device or bastion.
func (s *Server) listen(m member) (*listener, error) {
	d := m.Device
	if !m.bastion && platformFor(d.Platform) == nil {
		return nil, fmt.Errorf("device %s: unknown platform %q", d.Name, d.Platform)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, strconv.Itoa(d.Port)))
	if err != nil {
		return nil, fmt.Errorf("%s %s: listen: %w", m.kind(), d.Name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := s.log.With(m.kind(), d.Name)
	l := &listener{
		srv: s, name: d.Name, bastion: m.bastion, ln: ln, ctx: ctx, cancel: cancel,
		conns: map[net.Conn]struct{}{},
		log:   log, auth: &authGuard{log: log}, vty: &vty{}, forwards: &forwardLog{},
	}
	l.cur.Store(&d)
	return l, nil
}

// publishPorts records where the devices listen, for the bastions; s.mu
// is held, or s not shared yet.
func (s *Server) publishPorts() {
	ports := map[int]string{}
	for name, l := range s.devs {
		if !l.bastion {
			ports[l.port()] = name
		}
	}
	s.ports.Store(&ports)
}

// Addr returns the host:port a device (or bastion) listens on.
func (s *Server) Addr(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.devs[name]
	if !ok {
		return "", false
	}
	return l.ln.Addr().String(), true
}

// Port returns the port a device listens on, 0 for an unknown device.
func (s *Server) Port(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.devs[name]; ok {
		return l.port()
	}
	return 0
}

// Reload makes f the fleet. Devices that stay keep their listener and their
// open sessions and only change behaviour (targets, delay, credentials,
// platform for new sessions); new devices, and devices whose fixed port
// changed, get a listener (keeping the record of authentication attempts
// and any lockout); removed devices are closed. If a new port cannot
// be bound nothing changes.
func (s *Server) Reload(f *Fleet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("reload: server is closed")
	}
	next := map[string]*listener{}
	var fresh, keep []*listener
	members := f.members()
	for _, m := range members {
		old := s.devs[m.Name]
		same := old != nil && old.bastion == m.bastion
		if same && (m.Port == 0 || m.Port == old.port()) {
			next[m.Name] = old
			keep = append(keep, old)
			continue
		}
		l, err := s.listen(m)
		if err != nil {
			closeAll(fresh)
			return fmt.Errorf("reload: %w", err)
		}
		if same {
			// On a new port, it keeps its records, lockout and session count.
			l.auth, l.vty, l.forwards = old.auth, old.vty, old.forwards
		}
		next[m.Name], fresh = l, append(fresh, l)
	}
	for i, m := range members {
		if l := next[m.Name]; l != nil && contains(keep, l) {
			l.cur.Store(&members[i].Device)
		}
	}
	var gone []*listener
	for name, l := range s.devs {
		if next[name] != l {
			gone = append(gone, l)
		}
	}
	closeAll(gone)
	s.devs = next
	s.publishPorts()
	for _, l := range fresh {
		l.serve()
	}
	s.log.Info("fleet reloaded", "devices", len(next), "new", len(fresh), "closed", len(gone))
	return nil
}

// Close stops every listener and ends every session, and returns once all
// of their goroutines have finished.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stop != nil {
		s.stop()
	}
	ls := make([]*listener, 0, len(s.devs))
	for _, l := range s.devs {
		ls = append(ls, l)
	}
	closeAll(ls)
	return nil
}

func closeAll(ls []*listener) {
	for _, l := range ls {
		l.close()
	}
}

func contains(ls []*listener, l *listener) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}
