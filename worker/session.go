package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// leaseGrace is added to the ack wait for how long a session lease holds
// unrenewed: the clocks of two workers may disagree a little.
const leaseGrace = 2 * time.Second

// errStale is a job whose deadline passed while it waited for another
// worker's session on its device.
var errStale = errors.New("the job's deadline passed while another worker held the device's session")

// errSessionLost ends a probe whose session lease could not be renewed:
// another worker may take the device over once it lapses, and two sessions
// must never run at once.
var errSessionLost = errors.New("the device's session lease could not be renewed")

// sessionHold is the lease on a device's SSH session, at
// proto.SessionKey(site, device): who holds it, for which job, and until
// when. The holder renews it while it probes (every third of the ack
// wait, as it tells NATS the job is in progress); a lease that lapsed
// belongs to a worker that died or lost the bus, and the next worker takes
// it over; a worker that finds its lease in another's hands ends its probe
// at once (see keep for the one case this leaves). A job
// redelivered after its worker stopped takes over that worker's lease for
// it as soon as it went unrenewed for an ack wait (redelivered).
// onHeld, unless nil, is shown the lease each time it is found held: it
// returns errHandled when it handled the job itself (over the holder's
// persistent session), another error to give up on the job, nil to wait;
// lockSession then ends with its error.
//
// A persistent lease (Persistent) is held for as long as its worker keeps
// the device's session open across jobs; Subject is where that worker
// takes the device's jobs from the site's other workers (persistent.go).
type sessionHold struct {
	Worker     string    `json:"worker"`
	Job        string    `json:"job,omitempty"`
	Until      time.Time `json:"until"`
	Persistent bool      `json:"persistent,omitempty"`
	Subject    string    `json:"subject,omitempty"`
}

// sessionLease is a lease this worker holds.
type sessionLease struct {
	g   *loginGuard
	kv  jetstream.KeyValue
	key string
	rev uint64
	job string
	log *slog.Logger
	// persistent and subject are written into the lease at each renewal
	// once the session outlives the job (persist).
	persistent bool
	subject    string
	// until is the expiry last written (computed before the write).
	until time.Time
}

// errHandled ends lockSession when onHeld handled the job while another
// session held the device.
var errHandled = errors.New("the job was handled over the device's open session")

// lockSession takes the lease on device's session for job, for hold: at
// once when no worker holds it or its lease lapsed, else once its holder
// releases it, polling with backoff (the caller keeps the job in progress
// meanwhile). It gives up with errStale when deadline (unless zero) passes
// first, and with ctx's error when ctx ends.
func (g *loginGuard) lockSession(ctx context.Context, kv jetstream.KeyValue, device, job string, hold time.Duration,
	deadline time.Time, onHeld func(sessionHold) error) (*sessionLease, error) {
	key, err := proto.SessionKey(g.site, device)
	if err != nil {
		return nil, err
	}
	retry := backoff.Backoff{Initial: 50 * time.Millisecond, Max: 2 * time.Second}
	log := g.log.With("device", device, "job", job)
	waiting := false
	for {
		now := g.now()
		if !deadline.IsZero() && now.After(deadline) {
			return nil, errStale
		}
		var held, expired sessionHold // the lease kept, or the one taken over
		rev, err := updateJSON(ctx, kv, key, func(h *sessionHold) (bool, error) {
			if h.Worker != "" && h.Until.After(now) && !redelivered(h, job, now) {
				held = *h
				return false, nil
			}
			expired = *h
			*h = sessionHold{Worker: g.worker, Job: job, Until: now.Add(hold)}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		if rev != 0 {
			switch {
			case expired.Worker == "":
			case expired.Until.After(now):
				log.Warn("took over the device's session lease for this job, unrenewed for an ack wait: the job was redelivered from a worker that stopped",
					"holder", expired.Worker, "until", expired.Until)
			default:
				log.Warn("took over the device's session lease, which lapsed: its worker died or lost the bus",
					"holder", expired.Worker, "holder_job", expired.Job, "until", expired.Until)
			}
			return &sessionLease{g: g, kv: kv, key: key, rev: rev, job: job, log: log, until: now.Add(hold)}, nil
		}
		if onHeld != nil {
			if err := onHeld(held); err != nil {
				return nil, err
			}
		}
		if !waiting {
			log.Info("another worker of the site holds the device's session: waiting for it",
				"holder", held.Worker, "holder_job", held.Job, "until", held.Until)
			waiting = true
		}
		wait := retry.Next()
		if !deadline.IsZero() {
			wait = min(wait, deadline.Sub(now)+time.Millisecond)
		}
		if err := backoff.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// redelivered reports whether h is the lease of job itself left unrenewed
// for a whole ack wait (its time less the grace): JetStream redelivers a
// job exactly when its worker stopped saying it is in progress for an ack
// wait, and that worker renewed the lease at the same moments, so it has
// stopped. (A worker that merely lost the bus ends its probe at its first
// failed renewal, within a third of the ack wait and the bucket's time
// limit: before the redelivery when the ack wait is over 7.5 s, as it is
// by default.) Waiting for the grace too would only make the job miss its
// deadline.
func redelivered(h *sessionHold, job string, now time.Time) bool {
	return h.Job == job && !h.Until.Add(-leaseGrace).After(now)
}

// renew extends the lease by hold from now, if it is still this worker's;
// one try within timeout. The expiry written is computed before the
// write, and kept (until) once it succeeded.
func (l *sessionLease) renew(ctx context.Context, hold, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	until := l.g.now().Add(hold)
	data, err := json.Marshal(sessionHold{Worker: l.g.worker, Job: l.job, Until: until,
		Persistent: l.persistent, Subject: l.subject})
	if err != nil {
		return err
	}
	rev, err := l.kv.Update(ctx, l.key, data, l.rev)
	if err != nil {
		return fmt.Errorf("renew %s: %w", l.key, err)
	}
	l.rev, l.until = rev, until
	return nil
}

// keep renews the lease every period until the returned stop is called.
// The probe is ended (lost, with errSessionLost) when the lease is found
// in another worker's hands. A renewal that fails for want of the bus
// does not end it: the worker keeps its result and publishes it once the
// bus is back (a leaf node's link cut, say). Only a worker cut off from
// the bus while the other workers of its site are not can then see its
// lease taken over before it notices. A persistent session, which has no
// result to keep, ends before its lease may lapse: a timer, armed at each
// renewal that succeeded, ends it at the expiry written less the grace and
// the renewal's timeout, unless a later renewal succeeds first; each
// renewal is bounded by the time left. A renewal that hangs (the bus does
// not answer) thus cannot keep it open once another worker may take the
// device over.
func (l *sessionLease) keep(ctx context.Context, hold, period time.Duration, lost context.CancelCauseFunc) (stop func()) {
	timeout := min(kvTimeout, period)
	var lapse *time.Timer
	deadline := func() time.Time { return l.until.Add(-leaseGrace - timeout) }
	if l.persistent {
		lapse = time.AfterFunc(deadline().Sub(l.g.now()), func() {
			l.log.Warn("the device's session lease was not renewed in time: ending the session before it may lapse, so that no other worker's session overlaps it")
			lost(fmt.Errorf("%w: not renewed in time", errSessionLost))
		})
	}
	stopRenew := every(ctx, period, func(ctx context.Context) bool {
		t := timeout
		if lapse != nil {
			t = min(t, deadline().Sub(l.g.now()))
			if t <= 0 {
				return false // the timer ends the session
			}
		}
		err := l.renew(ctx, hold, t)
		if err == nil {
			if lapse != nil && !lapse.Reset(deadline().Sub(l.g.now())) {
				lapse.Stop() // it fired meanwhile: the session is ending anyway
				return false
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		taken := errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) ||
			errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
		if !taken {
			return true // no bus: try again at the next tick (a persistent session's timer ends it in time)
		}
		l.log.Warn("lost the device's session lease: ending the session, so that no other worker's session overlaps it", "err", err)
		lost(fmt.Errorf("%w: %v", errSessionLost, err))
		return false
	})
	return func() {
		stopRenew()
		if lapse != nil {
			lapse.Stop()
		}
	}
}

// release deletes the lease if it is still at this worker's revision.
func (l *sessionLease) release(ctx context.Context) {
	l.g.releaser(ctx, l.kv, l.key, l.rev, l.log)()
}

// releaser deletes the lock at key if it is still at revision rev: taken
// over meanwhile (this probe outlived its hold), it is the new holder's.
// It runs even when ctx has ended, so that a worker shutting down leaves
// no lock behind.
func (g *loginGuard) releaser(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64, log *slog.Logger) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), kvTimeout)
		defer cancel()
		if err := kv.Delete(ctx, key, jetstream.LastRevision(rev)); err != nil {
			log.Warn("release the device's session lock; it expires on its own", "err", err)
		}
	}
}
