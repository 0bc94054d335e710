package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
)

// Credentials resolves a credential name to a username and password, on
// the worker: no secret ever travels in a job or a result.
type Credentials func(name string) (Login, error)

// Login is how to log in to a device and, where it lands in user EXEC,
// enter privileged mode: with Enable, `enable` is sent, and EnablePassword
// answers its password prompt ("" when the device asks none).
type Login struct {
	Username, Password string
	Enable             bool
	EnablePassword     string
}

// ServiceConfig is the worker service's part of the configuration.
type ServiceConfig struct {
	Site        string
	ID          string // this worker instance, reported in results
	Concurrency int    // jobs probed at once
	// SiteConcurrency caps the jobs in progress at once over all the
	// workers of the site (the site consumer's MaxAckPending, which every
	// worker of the site sets when it binds); 0 is no cap.
	SiteConcurrency int
	// AckWait is how long NATS waits for a job's ack before handing it to
	// another worker of the site; the worker extends it while it probes.
	AckWait time.Duration
	// PullWait bounds how long one request for a job waits before it is
	// made again (default 30s); each waits a random part of it, so that
	// the workers of a quiet site take turns.
	PullWait time.Duration
	// Inventory returns the site's devices in force (it may change on
	// reload); jobs for anything else are refused.
	Inventory   func() *Inventory
	Credentials Credentials
	Prober      *Prober
	// Logins says when a credential refused by several devices is paused
	// for all the workers of the site; the zero value never pauses.
	Logins LoginPolicy
	// Limiter, when set, is shared with the workers of other sites in the
	// same process (linkwatch run) to bound devices in flight globally.
	Limiter *Limiter
	// PersistentPerSite caps the persistent sessions open at once over all
	// the workers of the site (default DefaultPersistentPerSite); a
	// persistent device finding every slot taken is probed per-probe.
	PersistentPerSite int
	// Sessions says how long persistent sessions stay open between
	// probes.
	Sessions SessionsConfig
	// Metrics receives the worker's counters; nil counts them unexported.
	Metrics *Metrics
	Log     *slog.Logger
	Now     func() time.Time
}

// Service consumes its site's jobs, probes and publishes results.
type Service struct {
	js     jetstream.JetStream
	cfg    ServiceConfig
	log    *slog.Logger
	logins *loginGuard

	// sessions are the devices' persistent sessions this worker holds;
	// subject is where it takes the jobs other workers forward to them,
	// under sessionPrefix, the site's session subjects.
	sessions      *Sessions
	subject       string
	sessionPrefix string
	capFull       atomic.Bool // the site's slots were all taken: logged once
	// fullUntil (Unix nanoseconds) is until when the site's slots are
	// taken to be all taken, without reading them again (persistent.go).
	fullUntil atomic.Int64

	probed, stale, refused atomic.Int64
	// mismatch holds the last {scheduler, worker} inventory revisions
	// that differed; nil while they agree.
	mismatch atomic.Pointer[[2]string]
	// unbound says why the site's consumer is not bound yet; nil once it is.
	unbound atomic.Pointer[error]
	// fetching says once that jobs cannot be fetched, and once that they
	// can again.
	fetching *backoff.Waiter
}

// NewService returns a worker for cfg.Site.
func NewService(js jetstream.JetStream, cfg ServiceConfig) (*Service, error) {
	if err := proto.ValidName(cfg.Site); err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	if cfg.Inventory == nil {
		return nil, errors.New("no inventory: a worker probes only the devices of its own configuration")
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.PullWait < 2*time.Second {
		cfg.PullWait = 30 * time.Second
	}
	if cfg.Prober == nil || cfg.Prober.HostKeys == nil {
		return nil, errors.New("no prober with a host key policy: a worker sends passwords only to devices whose keys it can check")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PersistentPerSite < 1 {
		cfg.PersistentPerSite = DefaultPersistentPerSite
	}
	log := cfg.Log.With("service", "worker", "site", cfg.Site, "worker", cfg.ID)
	// A token of its own names this worker's session subject: its ID (a
	// host name) need not be a subject token, and a restarted worker
	// must not get the answers meant for its former self.
	subject, err := proto.SessionSubject(cfg.Site, nuid.Next())
	if err != nil {
		return nil, err
	}
	all, err := proto.SessionSubjects(cfg.Site)
	if err != nil {
		return nil, err
	}
	if cfg.Sessions.Log == nil {
		cfg.Sessions.Log = log
	}
	sessions := NewSessions(cfg.Prober, cfg.Sessions)
	sessions.keep = func(name string) bool {
		d, ok := cfg.Inventory().Devices[name]
		return ok && d.Persistent
	}
	logins := &loginGuard{js: js, site: cfg.Site, worker: cfg.ID, policy: cfg.Logins, now: cfg.Now, log: log, metrics: cfg.Metrics}
	s := &Service{js: js, cfg: cfg, log: log, logins: logins,
		sessions: sessions, subject: subject, sessionPrefix: strings.TrimSuffix(all, ">"),
		fetching: &backoff.Waiter{What: "NATS to fetch jobs", Log: log, Backoff: backoff.Backoff{Initial: time.Second, Max: 5 * time.Second}}}
	sessions.paused = s.pausedRelogin
	s.setUnbound(errors.New("the worker has not started"))
	return s, nil
}

// Probed is how many jobs this worker completed; Stale how many it dropped
// because their deadline had passed.
func (s *Service) Probed() int64 { return s.probed.Load() }

// Stale is how many jobs were dropped past their deadline.
func (s *Service) Stale() int64 { return s.stale.Load() }

// Refused is how many jobs were refused: for another site, or for a device
// not in this worker's inventory.
func (s *Service) Refused() int64 { return s.refused.Load() }

// RevisionMismatch returns the inventory revisions of the scheduler (from
// the last job) and of this worker when they differ, and ok false while
// they agree.
func (s *Service) RevisionMismatch() (scheduler, worker string, ok bool) {
	if m := s.mismatch.Load(); m != nil {
		return m[0], m[1], true
	}
	return "", "", false
}

// Run takes jobs from the site's shared durable consumer until ctx ends.
// Each of Concurrency loops fetches one job at a time, so the worker never
// holds a job it is not probing.
//
// Persistent sessions the worker holds are closed, and their leases given
// back, before Run returns.
func (s *Service) Run(ctx context.Context) error {
	defer s.sessions.Close()
	defer s.serveSessions(ctx)()
	started := false
	for {
		cons, err := s.bind(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		if err != nil {
			return err
		}
		if !started {
			s.log.Info("worker started", "concurrency", s.cfg.Concurrency)
			started = true
		}
		// The loops run until ctx ends, or until one finds the consumer
		// gone (the stream or the consumer deleted, say when the jobs
		// stream is recreated): then all stop, and the consumer is bound
		// again, /readyz saying why meanwhile.
		loops, lost := context.WithCancelCause(ctx)
		var wg sync.WaitGroup
		for range s.cfg.Concurrency {
			wg.Go(func() { s.loop(loops, cons, lost) })
		}
		wg.Wait()
		gone := context.Cause(loops)
		lost(nil)
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		}
		s.setUnbound(gone)
		s.log.Warn("the site's job consumer is gone; binding it again", "err", gone)
	}
}

// bind creates or joins the site's consumer, waiting for the jobs stream
// when it does not exist yet: the scheduler keeps the streams, and a worker
// may well start first. It logs when the error changes, not on every try.
func (s *Service) bind(ctx context.Context) (jetstream.Consumer, error) {
	retry, last := backoff.Backoff{Initial: 500 * time.Millisecond, Max: 15 * time.Second}, ""
	for {
		cons, err := s.consumer(ctx)
		s.setUnbound(err)
		if err == nil {
			return cons, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err.Error() != last {
			s.log.Warn("bind the site's job consumer; retrying", "err", err)
			last = err.Error()
		}
		if err := retry.Wait(ctx); err != nil {
			return nil, err
		}
	}
}

func (s *Service) consumer(ctx context.Context) (jetstream.Consumer, error) {
	subject, err := proto.JobSubject(s.cfg.Site)
	if err != nil {
		return nil, err
	}
	durable, err := proto.WorkerConsumer(s.cfg.Site)
	if err != nil {
		return nil, err
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, proto.StreamJobs, jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   "linkwatch workers of site " + s.cfg.Site,
		FilterSubject: subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.cfg.AckWait,
		MaxAckPending: maxAckPending(s.cfg.SiteConcurrency),
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", durable, proto.ExplainNoJetStream(s.js.Conn(), err))
	}
	return cons, nil
}

// maxAckPending is the site consumer's cap on jobs handed out and not yet
// acked: the site's cap on logins at once, or a bound that only guards
// against runaway.
func maxAckPending(siteConcurrency int) int {
	if siteConcurrency > 0 {
		return siteConcurrency
	}
	return 10000
}

func (s *Service) loop(ctx context.Context, cons jetstream.Consumer, lost context.CancelCauseFunc) {
	for ctx.Err() == nil {
		msg, err := s.next(ctx, cons)
		if consumerGone(err) {
			lost(err)
			return
		}
		if errors.Is(err, jetstream.ErrNoMessages) {
			s.fetching.Done() // the server answered
		}
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, nats.ErrTimeout) &&
				!errors.Is(err, context.DeadlineExceeded) {
				_ = backoff.Sleep(ctx, s.fetching.Retry(err))
			}
			continue
		}
		s.fetching.Done()
		s.handle(ctx, msg)
	}
}

// next waits for one job, asking the server for a random part of PullWait
// (between a half and the whole) before asking again. The server hands
// each job to the oldest waiting request of the site's workers: with
// requests that all wait alike, a worker that joins a quiet site would
// queue behind the busy one's for good (its requests expiring just after
// theirs, every time) and never get a job; waits of random length shuffle
// the queue, so the site's workers take turns.
func (s *Service) next(ctx context.Context, cons jetstream.Consumer) (jetstream.Msg, error) {
	wait := s.cfg.PullWait/2 + rand.N(s.cfg.PullWait/2+1)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return cons.Next(jetstream.FetchContext(ctx))
}

// consumerGone reports whether err means the consumer (or its stream) no
// longer exists, so pulling from it again can never succeed.
func consumerGone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrNoResponders)
}
