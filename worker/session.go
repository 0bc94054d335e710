package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// sessionMargin is added to a probe's budget for how long its session
// lock holds: time to close and publish, and the clocks of two workers
// that disagree a little.
const sessionMargin = 30 * time.Second

// errStale is a job whose deadline passed while it waited for another
// worker's session on its device.
var errStale = errors.New("the job's deadline passed while another worker held the device's session")

// sessionHold is the lock on a device's SSH session, at
// proto.SessionKey(site, device): who holds it, for which job, and until
// when. A lock whose time is up belongs to a worker that died or hung; the
// next worker takes it over. So does the next worker of the job itself:
// JetStream hands a job to another worker only once its worker stopped
// saying it is in progress for the ack wait, so a lock held for the job
// being redelivered is a dead worker's, and waiting for its time would
// only make the job miss its deadline.
type sessionHold struct {
	Worker string    `json:"worker"`
	Job    string    `json:"job,omitempty"`
	Until  time.Time `json:"until"`
}

// lockSession takes the lock on device's session for job, for hold: at
// once when no worker holds it, its holder's time is up, or it is held for
// this job (redelivered from a worker that stopped), else once its holder
// releases it, polling with backoff (the caller keeps the job in
// progress meanwhile). It gives up with errStale when deadline (unless
// zero) passes first, and with ctx's error when ctx ends. release deletes
// the lock, unless another worker has taken it over since.
func (g *loginGuard) lockSession(ctx context.Context, kv jetstream.KeyValue, device, job string, hold time.Duration,
	deadline time.Time) (release func(), err error) {
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
		var held, expired sessionHold // the lock kept, or the one taken over
		rev, err := updateJSON(ctx, kv, key, func(h *sessionHold) (bool, error) {
			if h.Worker != "" && h.Until.After(now) && h.Job != job {
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
			case expired.Job == job && expired.Until.After(now):
				log.Warn("took over the device's session lock, held for this job by a worker that stopped: the job was redelivered",
					"holder", expired.Worker, "until", expired.Until)
			default:
				log.Warn("took over the device's session lock, whose time was up: its worker died or hung",
					"holder", expired.Worker, "holder_job", expired.Job, "until", expired.Until)
			}
			return g.releaser(ctx, kv, key, rev, log), nil
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
