package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
)

// loginGuard rations the logins of a site's workers through the site's
// keys of the shared bucket proto.LoginBucket: one SSH session per device
// at a time over all the workers (lockSession), and no login with a
// credential that several devices refused lately (pausedCredential,
// record). Logins are precious: VTY lines are few, and with TACACS+ or
// RADIUS every failed one counts against an account that serves the whole
// network.
//
// Without the bucket (the scheduler has not made it yet, NATS does not
// answer, the worker's key may not use it) the guard steps aside: the
// worker warns, once per change of error, and probes unguarded, because a
// monitor that stops monitoring is worse.
type loginGuard struct {
	js      jetstream.JetStream
	site    string
	worker  string
	policy  LoginPolicy
	now     func() time.Time
	log     *slog.Logger
	metrics *Metrics

	mu      sync.Mutex
	kv      jetstream.KeyValue // nil until bound
	lastErr string             // the error last warned of; "" while the guard works
}

// bucket returns the login bucket, binding to it on first use, or nil when
// it cannot be reached now.
func (g *loginGuard) bucket(ctx context.Context) jetstream.KeyValue {
	g.mu.Lock()
	kv := g.kv
	g.mu.Unlock()
	if kv != nil {
		return kv
	}
	bctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	kv, err := g.js.KeyValue(bctx, proto.LoginBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		err = fmt.Errorf("%w: the scheduler creates it when it starts", err)
	}
	if err != nil {
		if ctx.Err() == nil {
			g.unguarded(fmt.Errorf("open bucket %s: %w", proto.LoginBucket, err))
		}
		return nil
	}
	g.mu.Lock()
	g.kv = kv
	g.mu.Unlock()
	return kv
}

// unguarded warns that logins go unguarded, when err differs from the last
// error warned of.
func (g *loginGuard) unguarded(err error) {
	if errors.Is(err, context.Canceled) {
		return // shutting down: nothing is probed unguarded
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err.Error() == g.lastErr {
		return
	}
	g.lastErr = err.Error()
	g.log.Warn("login guard unavailable: probing without it (no session lock per device, no pause of refused credentials)", "err", err)
}

// guarded notes that the guard works, and says so once after it did not.
func (g *loginGuard) guarded() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lastErr != "" {
		g.log.Info("login guard available again")
		g.lastErr = ""
	}
}

// The outcomes of a job, as linkwatch_worker_jobs_total counts them.
const (
	outcomeProbed = "probed"
	outcomePaused = "paused" // answered without a login: its credential is paused
)

// probe probes d, its credential resolved, under the site's login guard:
// it waits for the device's session to be free, answers without logging
// in while d's credential is paused, and records what the login showed of
// the credential. ok is false when there is nothing to publish: ctx ended,
// or the job passed its deadline while it waited, and was dropped as stale,
// or the worker holding the device's persistent session would not probe
// it, and it was given back to the queue for a moment.
func (s *Service) probe(ctx context.Context, job *proto.ProbeJob, msg jetstream.Msg, d Device, log *slog.Logger) (r DeviceResult, outcome string, ok bool) {
	dev, err := d.WithCredentials(s.cfg.Credentials)
	if err != nil {
		now := s.cfg.Now()
		r = DeviceResult{Device: d.Name, Site: d.Site, StartedAt: now, CheckedAt: now,
			Failure: FailureCLI, FailureText: fmt.Sprintf("worker %s: %v", s.cfg.ID, err)}
		s.cfg.Metrics.observe(d, r)
		return r, outcomeProbed, true
	}
	if r, ok := s.heldHere(ctx, dev); ok {
		return r, outcomeProbed, true
	}
	g := s.logins
	kv := g.bucket(ctx)
	if kv == nil {
		return s.login(ctx, dev), outcomeProbed, true
	}
	var deadline time.Time
	if dl := job.GetDeadline(); dl != nil {
		deadline = dl.AsTime()
	}
	hold := s.cfg.AckWait + leaseGrace
	var elsewhere DeviceResult
	lease, err := g.lockSession(ctx, kv, d.Name, job.GetId(), hold, deadline, s.onHeld(ctx, job, dev, &elsewhere, log))
	switch {
	case errors.Is(err, errHandled):
		return elsewhere, outcomeProbed, true
	case errors.Is(err, errStale):
		s.dropStale(job, msg, log)
		return r, "", false
	case errors.Is(err, errForwardRefused):
		s.cfg.Metrics.jobs.WithLabelValues("requeued").Inc()
		log.Warn("the job is given back to the queue for a moment", "err", err, "delay", forwardRetry)
		_ = msg.NakWithDelay(forwardRetry)
		return r, "", false
	case ctx.Err() != nil:
		return r, "", false
	case err != nil:
		g.unguarded(fmt.Errorf("lock the device's session: %w", err))
		return s.login(ctx, dev), outcomeProbed, true
	}
	adopted := false // the lease went to a persistent session
	defer func() {
		if !adopted {
			lease.release(ctx)
		}
	}()
	// The lease is renewed while the device is probed; a renewal that
	// fails ends the probe, and the job is left to be redelivered.
	ctx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	stop := lease.keep(ctx, hold, s.cfg.AckWait/3, lost)
	defer stop()
	defer func() {
		if cause := context.Cause(ctx); errors.Is(cause, errSessionLost) {
			s.cfg.Metrics.jobs.WithLabelValues("requeued").Inc()
			log.Warn("probe ended: the device's session lease was lost; the job is left to be redelivered", "err", cause)
			_ = msg.Nak()
			ok = false
		}
	}()
	if r, paused, err := s.pausedResult(ctx, kv, d); err != nil {
		g.unguarded(err)
		return s.login(ctx, dev), outcomeProbed, true
	} else if paused {
		log.Debug("credential paused: not logging in", "text", r.FailureText)
		return r, outcomePaused, true
	}
	r, login, adopted, ok := s.loginOrKeep(ctx, kv, dev, lease, stop, log)
	if !ok {
		lost(fmt.Errorf("%w: the persistent session ended before the probe", errSessionLost))
		return r, "", false
	}
	if login {
		s.recordLogin(ctx, kv, dev, r)
	}
	return r, outcomeProbed, true
}

// recordLogin records what a login to dev showed of its credential.
func (s *Service) recordLogin(ctx context.Context, kv jetstream.KeyValue, dev Device, r DeviceResult) {
	if err := s.logins.record(ctx, kv, dev, r); err != nil {
		s.logins.unguarded(fmt.Errorf("record what device %s made of credential %q: %w", dev.Name, dev.Credential, err))
		return
	}
	s.logins.guarded()
}

// pausedResult returns the answer to d without a login (paused true) when
// a credential d logs in with is paused.
func (s *Service) pausedResult(ctx context.Context, kv jetstream.KeyValue, d Device) (DeviceResult, bool, error) {
	cred, rec, err := s.logins.pausedLogin(ctx, kv, d)
	if err != nil {
		return DeviceResult{}, false, fmt.Errorf("read credential %q: %w", cred, err)
	}
	if rec == nil {
		return DeviceResult{}, false, nil
	}
	now := s.cfg.Now()
	return DeviceResult{Device: d.Name, Site: d.Site, StartedAt: now, CheckedAt: now,
		Failure: FailureAuth, FailureText: rec.pausedText(cred, d.Name)}, true, nil
}

// pausedRelogin is Sessions.paused: the paused answer to d, before a
// persistent session of d is replaced by a fresh login.
func (s *Service) pausedRelogin(ctx context.Context, d Device) (DeviceResult, bool) {
	kv := s.logins.bucket(ctx)
	if kv == nil {
		return DeviceResult{}, false
	}
	r, paused, err := s.pausedResult(ctx, kv, d)
	if err != nil {
		s.logins.unguarded(err)
	}
	return r, paused
}

// login probes dev, whose credential is resolved, and counts it.
func (s *Service) login(ctx context.Context, dev Device) DeviceResult {
	s.cfg.Metrics.inFlight.Inc()
	r := s.cfg.Prober.Probe(ctx, dev)
	s.cfg.Metrics.inFlight.Dec()
	s.cfg.Metrics.observe(dev, r)
	return r
}
