package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrapli/scrapligo/util"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// Defaults of SessionsConfig.
const (
	DefaultKeepAlive   = 30 * time.Second
	DefaultSessionIdle = 15 * time.Minute
)

// SessionsConfig says how long persistent sessions stay open.
type SessionsConfig struct {
	// KeepAlive is how often an SSH keepalive checks an idle session
	// between probes (default DefaultKeepAlive); a session that does not
	// answer within the setup timeout is closed.
	KeepAlive time.Duration
	// Idle closes a session no probe used for that long (default
	// DefaultSessionIdle): a device dropped from the schedule gives its VTY
	// line back.
	Idle time.Duration
	// Log receives a line when a broken session is replaced; nil discards.
	Log *slog.Logger
}

// Sessions keeps one SSH session open per device across probes: the first
// probe of a device connects, logs in and sends the setup commands; later
// ones only ping. One probe at a time runs on a session. A session found
// broken (the device or the network dropped it) is replaced by a fresh one
// and the probe run again once; a session that timed out is closed, and the
// next probe opens a fresh one. Every read stays bounded in time and size
// as in Prober.Probe.
//
// Sessions holds no lease: the worker Service takes a device's session
// lease and a slot of the site before it adopts a session here (see
// persistent.go). Used alone (`linkwatch bench --mode persistent`), it
// is the caller's to keep to one Sessions per fleet.
type Sessions struct {
	p   *Prober
	cfg SessionsConfig

	mu     sync.Mutex
	open   map[string]*held
	closed bool
	wg     sync.WaitGroup // keepers

	logins atomic.Int64
	// keep, when set, says whether a device's session may stay open (it is
	// still persistent in the inventory); asked between probes.
	keep func(name string) bool
	// paused, when set, is asked before a session that was open is
	// replaced by a fresh login (dropped, or its device or credential
	// changed): it returns the answer to d without a login while a
	// credential d logs in with is paused.
	paused func(ctx context.Context, d Device) (DeviceResult, bool)
}

// NewSessions returns an empty set of persistent sessions probed with p.
func NewSessions(p *Prober, cfg SessionsConfig) *Sessions {
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = DefaultKeepAlive
	}
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultSessionIdle
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Sessions{p: p, cfg: cfg, open: map[string]*held{}}
}

// held is the persistent session of one device, from the probe that
// adopted it until end.
type held struct {
	s    *Sessions
	name string
	// sem admits one probe at a time (and the keeper between probes).
	sem chan struct{}
	// life ends when the session does: the connection lives in it.
	life   context.Context
	cancel context.CancelFunc
	// release is called once, after the connection closed: the Service
	// gives back the lease and the slot.
	release func()
	ended   atomic.Bool

	// Under sem:
	dev      Device      // as its link was opened; a changed device reconnects
	link     *link       // nil while not connected
	unlife   func() bool // ends the abort of link when life ends
	used     time.Time
	released bool
}

// Probe probes d over its persistent session, opening one when there is
// none. It never panics and always returns a result, as Prober.Probe.
func (s *Sessions) Probe(ctx context.Context, d Device) DeviceResult {
	if r, _, ok := s.probeHeld(ctx, d); ok {
		return r
	}
	r, _, ok := s.adopt(ctx, d, nil)
	if !ok {
		now := s.p.now()
		r = DeviceResult{Device: d.Name, Site: d.Site, StartedAt: now, CheckedAt: now,
			Failure: FailureTimeout, FailureText: "not probed: the sessions are closed"}
	}
	return r
}

// Open is how many sessions are open (or being opened).
func (s *Sessions) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Logins is how many times a session was opened (a login).
func (s *Sessions) Logins() int64 { return s.logins.Load() }

// Has reports whether this Sessions holds d's session.
func (s *Sessions) Has(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[name] != nil
}

// Close closes every session, and returns once each is closed, its
// release called and its keeper gone.
func (s *Sessions) Close() {
	s.mu.Lock()
	s.closed = true
	all := make([]*held, 0, len(s.open))
	for _, h := range s.open {
		all = append(all, h)
	}
	s.mu.Unlock()
	for _, h := range all {
		h.end()
	}
	s.wg.Wait() // each keeper finishes its session
}

// probeHeld probes d over the session this Sessions holds for it; ok is
// false when it holds none (or it ended meanwhile). login reports whether
// the session was replaced by a fresh login (the Service records what it
// showed of the credential).
func (s *Sessions) probeHeld(ctx context.Context, d Device) (r DeviceResult, login, ok bool) {
	s.mu.Lock()
	h := s.open[d.Name]
	s.mu.Unlock()
	if h == nil {
		return r, false, false
	}
	return h.probe(ctx, d)
}

// adopt opens d's session and probes d over it; release is called once the
// session closes. login reports whether the probe logged in (the Service
// records what the login showed of the credential). With a session for d
// already open here, it probes over that one and calls release at once.
// ok is false when the session ended before d was probed: the Sessions
// closed, or the Service dropped it (its lease was lost).
func (s *Sessions) adopt(ctx context.Context, d Device, release func()) (r DeviceResult, login, ok bool) {
	s.mu.Lock()
	h := s.open[d.Name]
	if h == nil && !s.closed {
		life, cancel := context.WithCancel(context.Background())
		h = &held{s: s, name: d.Name, sem: make(chan struct{}, 1), life: life, cancel: cancel, release: release}
		s.open[d.Name] = h
		s.wg.Go(h.keep)
	} else if release != nil {
		defer release()
	}
	s.mu.Unlock()
	if h == nil {
		return r, false, false
	}
	return h.probe(ctx, d)
}

// drop ends name's session, if this Sessions holds it, aborting a probe in
// progress; it returns at once.
func (s *Sessions) drop(name string) {
	s.mu.Lock()
	h := s.open[name]
	s.mu.Unlock()
	if h != nil {
		h.end() // its keeper finishes it
	}
}

// probe runs one probe on h; ok is false when h ended before its turn.
func (h *held) probe(ctx context.Context, d Device) (r DeviceResult, login, ok bool) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		now := h.s.p.now()
		return DeviceResult{Device: d.Name, Site: d.Site, StartedAt: now, CheckedAt: now,
			Failure: FailureTimeout, FailureText: "not probed: " + ctx.Err().Error()}, false, true
	}
	defer func() { <-h.sem }()
	if h.ended.Load() {
		h.finish()
		return r, false, false
	}
	r, login = h.run(ctx, d)
	if h.link == nil {
		h.end() // nothing to keep: the lease goes back
	}
	h.used = h.s.p.now()
	h.finish()
	return r, login, true
}

// run probes d over h's link, connecting when it has none or d changed
// since it connected. A reused session found dropped (by the device, or
// the network) is replaced and the probe run once more on the fresh one,
// within the budget of a probe with its own session; any other failure
// (a timeout, a flood, an error) closes the session and is the result. A
// timeout is not retried: it has spent the budget already. Under h.sem.
func (h *held) run(ctx context.Context, d Device) (res DeviceResult, login bool) {
	p := h.s.p
	res = DeviceResult{Device: d.Name, Site: d.Site, StartedAt: p.now()}
	defer func() {
		if r := recover(); r != nil {
			res.Failure, res.FailureText = FailureInternal, fmt.Sprintf("internal error probing %s: %v", d.Name, r)
			h.disconnect()
		}
		res.CheckedAt = p.now()
		res.clean()
	}()
	ctx, cancel := context.WithTimeout(ctx, p.Budget(d)) // a retry included: as a probe with its own session
	defer cancel()
	if h.link != nil && !sameSession(h.dev, d) {
		h.disconnect() // the inventory or the credential changed
	}
	for attempt := 0; ; attempt++ {
		reused := h.link != nil
		if !reused {
			if pr, paused := h.pausedRelogin(ctx, d); paused {
				pr.StartedAt = res.StartedAt
				return pr, false
			}
			login = true
			if !h.connect(ctx, d, &res) {
				return res, login
			}
		}
		pctx, cancel := context.WithTimeout(ctx, pingsBudget(d))
		stop := context.AfterFunc(pctx, h.link.tr.abort)
		err := p.pings(pctx, h.link, d, &res)
		dropped := err != nil && !h.link.tr.overflow.Load() && pctx.Err() == nil && droppedError(err)
		stop()
		cancel()
		if err == nil {
			return res, login
		}
		h.disconnect()
		if !reused || attempt > 0 || !dropped || ctx.Err() != nil {
			return res, login
		}
		h.s.cfg.Log.Info("persistent session broken: probing again on a fresh one", "device", d.Name, "err", res.FailureText)
		res = DeviceResult{Device: d.Name, Site: d.Site, StartedAt: res.StartedAt}
	}
}

// pausedRelogin asks Sessions.paused, before a session that was open is
// replaced by a fresh login, whether d's credential is paused. Under h.sem.
func (h *held) pausedRelogin(ctx context.Context, d Device) (DeviceResult, bool) {
	if h.dev.Name == "" || h.s.paused == nil {
		return DeviceResult{}, false // the first login: the Service checked before it adopted the session
	}
	return h.s.paused(ctx, d)
}

// connect opens h's link to d within d's budget, counting the login.
func (h *held) connect(ctx context.Context, d Device, res *DeviceResult) bool {
	p := h.s.p
	ctx, cancel := context.WithTimeout(ctx, p.Budget(d))
	defer cancel()
	l, ok := p.connect(ctx, h.life, d, res)
	if res.LoggedIn {
		h.s.logins.Add(1)
	}
	if !ok {
		return false
	}
	h.unlife = context.AfterFunc(h.life, l.tr.abort)
	h.link, h.dev = l, d
	return true
}

// sameSession reports whether a session opened for a serves b: the same
// device, login and setup, whatever the targets.
func sameSession(a, b Device) bool {
	if reflect.DeepEqual(a, b) {
		return true // the usual case, without building the ping lines
	}
	a.Targets, b.Targets = setupOf(a), setupOf(b)
	return reflect.DeepEqual(a, b)
}

// setupOf stands for the setup lines a session for d sends, which depend
// on its ping lines (a long line needs the width set): as targets, to
// compare.
func setupOf(d Device) []ping.Params {
	pl, c, err := platformCLI(d.Platform)
	if err != nil {
		return d.Targets
	}
	var out []ping.Params
	for _, l := range c.setupFor(pingLines(pl, d.Targets)) {
		out = append(out, ping.Params{Target: l})
	}
	return out
}

// droppedError reports whether err is the end of the connection: the
// device or the network dropped the session.
func droppedError(err error) bool {
	return errors.Is(err, util.ErrConnectionError) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) ||
		errors.Is(err, net.ErrClosed)
}

// pingsBudget is the longest d's pings may take on an open session.
func pingsBudget(d Device) time.Duration {
	var b time.Duration
	for _, t := range d.Targets {
		b += t.Budget()
	}
	return b
}

// disconnect closes h's link, if any. Under h.sem.
func (h *held) disconnect() {
	if h.link != nil {
		h.unlife()
		h.link.close()
		h.link, h.unlife = nil, nil
	}
}

// end marks h ended and aborts its connection (a probe in progress fails
// at once); whoever holds sem next finishes it (its keeper at the latest). It removes h from the
// open sessions, so the next probe of the device adopts a new one.
func (h *held) end() {
	if h.ended.Swap(true) {
		return
	}
	h.s.mu.Lock()
	if h.s.open[h.name] == h {
		delete(h.s.open, h.name)
	}
	h.s.mu.Unlock()
	h.cancel() // aborts the connection: it was opened in h.life
}

// finish closes an ended h's connection and then, once, releases its
// lease. Under h.sem.
func (h *held) finish() {
	if !h.ended.Load() || h.released {
		return
	}
	h.disconnect()
	h.released = true
	if h.release != nil {
		h.release()
	}
}

// keep checks h between probes, every KeepAlive, until it ends: a session
// idle for Idle is closed, and so is one whose SSH keepalive gets no
// answer. A probe in progress is left alone: it checks the session itself.
// Once h ended, keep finishes it, after the probe in progress (aborted).
func (h *held) keep() {
	t := time.NewTicker(h.s.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-h.life.Done():
			h.sem <- struct{}{}
			h.finish()
			<-h.sem
			return
		case <-t.C:
		}
		select {
		case h.sem <- struct{}{}:
		default:
			continue
		}
		idle := !h.used.IsZero() && (h.link == nil || h.s.p.now().Sub(h.used) >= h.s.cfg.Idle)
		idle = idle || h.s.keep != nil && !h.s.keep(h.name)
		if idle || h.link != nil && !h.link.tr.keepAlive(h.s.p.setupTimeout()) {
			h.end()
		}
		h.finish()
		<-h.sem
	}
}
