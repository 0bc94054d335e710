package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// Persistent sessions in the Service (Device.Persistent; see Sessions for
// the sessions themselves).
//
// A device has at most one SSH session over all the workers of its site,
// persistent or not: the session lease at proto.SessionKey. The worker
// that opens a persistent session keeps that lease, marked persistent and
// naming the subject it answers on (proto.SessionSubject), renewed for as
// long as the session stays open, and gives it back when it closes the
// session (idle, keepalive unanswered, a probe that failed on a fresh
// session, the device gone from its inventory or back to per-probe, the
// lease or its slot lost, shutdown). Jobs come from the site's shared
// work queue, so another worker may get the device's job: finding the
// lease persistent, it forwards the job to the holder (NATS request on the
// holder's subject, the job as it came), which probes it over its session
// and answers with the result; the worker that got the job publishes and
// acks it as usual. A holder that does not answer (dead, or cut off from
// the bus) stops renewing; the lease lapses after the ack wait, and the
// waiting worker takes it over (lockSession), within the job's deadline.
// The lease decides whether to forward, not the forwarding worker's own
// inventory; a holder that refuses the job forwardTries times while it
// keeps its lease has the job given back to the queue for a moment.
//
// The site's persistent sessions are capped (ServiceConfig.PersistentPerSite)
// by slots in the same bucket (proto.SlotKey): a worker claims a free or
// lapsed slot (create, or update at the revision it read) before it keeps
// a session open, renews it with the lease and deletes it with the lease.
// Slots lapse like leases, so a cap holds across restarts and redelivery.
// With every slot taken the device is probed per-probe that cycle, under
// its lease as ever; the cap reached is logged once and counted. A worker
// that found every slot taken does not read them again for a keepalive
// period (SessionsConfig.KeepAlive), unless it freed one itself: a full
// cap would otherwise cost a bucket round trip per slot for each probe.

// DefaultPersistentPerSite is the default cap on a site's persistent
// sessions over all its workers.
const DefaultPersistentPerSite = 16

// forwardError is the header of an answer to a forwarded job that could
// not be probed over the session (not held here, not in this worker's
// inventory, busy, past its deadline); the job's worker forwards it again
// or, after forwardTries, gives it back to the queue for a moment.
const forwardError = "Linkwatch-Error"

// heldHere probes dev over the persistent session this worker holds for
// it, if any. A device back to per-probe has its session closed here. A
// session replaced by a fresh login (dropped, or its device or credential
// changed) has what the login showed of the credential recorded, as any
// login; a paused credential was not tried (Sessions.paused).
func (s *Service) heldHere(ctx context.Context, dev Device) (DeviceResult, bool) {
	if !dev.Persistent {
		s.sessions.drop(dev.Name)
		return DeviceResult{}, false
	}
	r, login, ok := s.sessions.probeHeld(ctx, dev)
	if !ok {
		return r, false
	}
	s.cfg.Metrics.observe(dev, r)
	if login {
		if kv := s.logins.bucket(ctx); kv != nil {
			s.recordLogin(ctx, kv, dev, r)
		}
	}
	return r, true
}

// forwardTries is how many times a job is forwarded to the worker holding
// its device's persistent session before it is given back to the queue
// (errForwardRefused), and forwardRetry how long the queue keeps it.
const (
	forwardTries = 3
	forwardRetry = 2 * time.Second
)

// errForwardRefused ends lockSession when the worker holding the device's
// persistent session refused (or did not answer) the job forwardTries
// times: it keeps renewing its lease, so waiting for it to lapse would
// only make the job stale.
var errForwardRefused = errors.New("the worker holding the device's persistent session did not probe the job")

// onHeld is lockSession's view of a lease another job holds: when it is a
// persistent one, dev is probed over that session, here or (forwarded) at
// its worker, and its result put in out. The lease decides, not this
// worker's inventory: a worker that sees the device per-probe (in the
// middle of a rolling reload, say) forwards too, as the holder renews
// its lease for as long as it keeps the session.
func (s *Service) onHeld(ctx context.Context, job *proto.ProbeJob, dev Device, out *DeviceResult, log *slog.Logger) func(sessionHold) error {
	tries := 0
	return func(h sessionHold) error {
		if !h.Persistent {
			return nil
		}
		if h.Worker == s.cfg.ID {
			r, ok := s.heldHere(ctx, dev) // closes the session when dev is per-probe now
			*out = r
			if ok {
				return errHandled
			}
			return nil
		}
		if tries >= forwardTries {
			return errForwardRefused
		}
		tries++
		r, err := s.forward(ctx, h, job, dev)
		if err != nil {
			log.Info("the worker holding the device's persistent session did not probe the job",
				"holder", h.Worker, "try", tries, "err", err)
			return nil
		}
		*out = r
		return errHandled
	}
}

// forward asks the worker holding dev's persistent session (at h.Subject,
// which must be a session subject of this site) to probe job, and returns
// its result, checked to be dev's: links to targets dev does not have are
// dropped. It waits no longer than a probe of dev
// (and a bucket write), nor past the job's deadline.
func (s *Service) forward(ctx context.Context, h sessionHold, job *proto.ProbeJob, dev Device) (DeviceResult, error) {
	token, ok := strings.CutPrefix(h.Subject, s.sessionPrefix)
	if !ok || proto.ValidName(token) != nil || h.Subject == s.subject {
		return DeviceResult{}, fmt.Errorf("the lease names %q, not a session subject of site %s", h.Subject, s.cfg.Site)
	}
	data, err := pb.Marshal(job)
	if err != nil {
		return DeviceResult{}, fmt.Errorf("encode job: %w", err)
	}
	wait := s.cfg.Prober.Budget(dev) + kvTimeout
	if dl := job.GetDeadline(); dl != nil {
		wait = min(wait, dl.AsTime().Sub(s.cfg.Now()))
	}
	if wait <= 0 {
		return DeviceResult{}, errStale
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	nc := s.js.Conn()
	reply := s.subject + ".reply." + nuid.Next()
	sub, err := nc.SubscribeSync(reply)
	if err != nil {
		return DeviceResult{}, fmt.Errorf("subscribe %s: %w", reply, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.PublishRequest(h.Subject, reply, data); err != nil {
		return DeviceResult{}, fmt.Errorf("forward to %s: %w", h.Subject, err)
	}
	m, err := sub.NextMsgWithContext(ctx)
	if err != nil {
		return DeviceResult{}, fmt.Errorf("wait for %s: %w", h.Subject, err)
	}
	if e := m.Header.Get(forwardError); e != "" {
		return DeviceResult{}, fmt.Errorf("%s: %s", h.Subject, CleanText(e, MaxText))
	}
	var r DeviceResult
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return DeviceResult{}, fmt.Errorf("decode the answer of %s: %w", h.Subject, err)
	}
	if r.Device != dev.Name || r.Site != dev.Site {
		return DeviceResult{}, fmt.Errorf("%s answered for device %q of site %q", h.Subject, CleanText(r.Device, 64), CleanText(r.Site, 64))
	}
	r.Links = slices.DeleteFunc(r.Links, func(l LinkResult) bool {
		return !slices.ContainsFunc(dev.Targets, func(t ping.Params) bool { return t.Target == l.Target })
	})
	r.clean()
	return r, nil
}

// serveSessions answers the jobs the site's other workers forward to this
// worker's persistent sessions, until ctx ends; the returned stop waits for
// the answers in progress.
func (s *Service) serveSessions(ctx context.Context) (stop func()) {
	var wg sync.WaitGroup
	busy := make(chan struct{}, max(s.cfg.Concurrency, s.cfg.PersistentPerSite))
	sub, err := s.js.Conn().Subscribe(s.subject, func(m *nats.Msg) {
		select {
		case busy <- struct{}{}:
		default:
			s.refuse(m, "busy")
			return
		}
		wg.Go(func() {
			defer func() { <-busy }()
			s.answer(ctx, m)
		})
	})
	if err != nil {
		s.log.Warn("answer forwarded jobs: the site's other workers wait for this worker's persistent sessions to lapse", "err", err)
		return func() {}
	}
	return func() {
		_ = sub.Unsubscribe()
		wg.Wait()
	}
}

// answer probes a forwarded job over this worker's session of its device,
// the device taken from this worker's own inventory, and answers with the
// result. A job past its deadline is refused: its worker drops it.
func (s *Service) answer(ctx context.Context, m *nats.Msg) {
	if !strings.HasPrefix(m.Reply, s.sessionPrefix) {
		return // answers go to the site's workers only
	}
	var job proto.ProbeJob
	if err := pb.Unmarshal(m.Data, &job); err != nil {
		s.refuse(m, "undecodable job")
		return
	}
	if dl := job.GetDeadline(); dl != nil && s.cfg.Now().After(dl.AsTime()) {
		s.refuse(m, "the job is past its deadline")
		return
	}
	d, err := s.cfg.Inventory().lookup(&job)
	if err == nil && !d.Persistent {
		err = errors.New("the device is not persistent here")
	}
	if err != nil {
		s.refuse(m, err.Error())
		return
	}
	dev, err := d.WithCredentials(s.cfg.Credentials)
	if err != nil {
		s.refuse(m, "credential not resolved")
		return
	}
	r, ok := s.heldHere(ctx, dev)
	if !ok {
		s.refuse(m, "no session held here")
		return
	}
	data, err := json.Marshal(r)
	if err != nil {
		s.refuse(m, "encode result")
		return
	}
	s.log.Debug("probed a forwarded job over the device's persistent session", "job", job.GetId(), "device", d.Name)
	_ = m.Respond(data)
}

// refuse answers a forwarded job that is not probed here.
func (s *Service) refuse(m *nats.Msg, why string) {
	if !strings.HasPrefix(m.Reply, s.sessionPrefix) {
		return
	}
	_ = m.RespondMsg(&nats.Msg{Header: nats.Header{forwardError: []string{why}}})
}

// loginOrKeep probes dev, whose lease this job holds: per-probe, or, for
// a persistent device, over a session kept open past the job when a slot
// of the site is free. Then the lease goes to the session (adopted): the
// job's renewal (stop) ends, the lease is marked persistent and renewed
// with the slot until the session closes. login says whether the probe
// logged in; ok is false when the session was dropped before the probe,
// or the lease could not be marked persistent.
func (s *Service) loginOrKeep(ctx context.Context, kv jetstream.KeyValue, dev Device, lease *sessionLease, stop func(),
	log *slog.Logger) (r DeviceResult, login, adopted, ok bool) {
	if !dev.Persistent {
		return s.login(ctx, dev), true, false, true
	}
	hold := s.cfg.AckWait + leaseGrace
	if s.cfg.Now().UnixNano() < s.fullUntil.Load() {
		s.capReached(nil, log) // found full lately: not read again for each probe
		return s.login(ctx, dev), true, false, true
	}
	slot, err := s.logins.claimSlot(ctx, kv, dev.Name, hold, s.cfg.PersistentPerSite)
	if err != nil || slot == nil {
		if err == nil {
			s.fullUntil.Store(s.cfg.Now().Add(s.sessions.cfg.KeepAlive).UnixNano())
		}
		s.capReached(err, log)
		return s.login(ctx, dev), true, false, true
	}
	if s.capFull.Swap(false) {
		log.Info("a slot for a persistent session is free again")
	}
	stop()
	lease.persistent, lease.subject = true, s.subject
	if err := lease.renew(ctx, hold, kvTimeout); err != nil {
		// The job's renewal has stopped: the job is left to be
		// redelivered rather than probed under a lease no one renews.
		slot.release(ctx)
		log.Warn("mark the device's session lease persistent", "err", err)
		return r, false, false, false
	}
	// The lease and the slot now live as long as the session: renewed
	// apart from any job, and given back once it closed.
	life, end := context.WithCancel(context.WithoutCancel(ctx))
	lost := func(error) { s.sessions.drop(dev.Name) }
	stopLease := lease.keep(life, hold, s.cfg.AckWait/3, lost)
	stopSlot := slot.keep(life, hold, s.cfg.AckWait/3, lost)
	s.cfg.Metrics.persistent.Inc()
	release := func() {
		end()
		stopLease()
		stopSlot()
		slot.release(life)
		s.fullUntil.Store(0) // a slot is free: the next persistent device may claim it
		lease.release(life)
		s.cfg.Metrics.persistent.Dec()
		log.Debug("persistent session closed; lease and slot released")
	}
	s.cfg.Metrics.inFlight.Inc()
	r, login, ok = s.sessions.adopt(ctx, dev, release)
	s.cfg.Metrics.inFlight.Dec()
	if ok {
		s.cfg.Metrics.observe(dev, r)
	}
	return r, login, true, ok
}

// capReached notes a persistent device probed per-probe for want of a
// slot (or of the bucket): counted each time, logged once until a slot is
// claimed again.
func (s *Service) capReached(err error, log *slog.Logger) {
	s.cfg.Metrics.capReached.Inc()
	if s.capFull.Swap(true) {
		return
	}
	if err != nil {
		log.Warn("claim a slot for a persistent session; probing per-probe", "err", err)
		return
	}
	log.Warn("every slot for persistent sessions of the site is taken: probing per-probe until one is free",
		"persistent_sessions_per_site", s.cfg.PersistentPerSite)
}

// claimSlot claims one of the site's n slots for device's persistent
// session: the first free or lapsed one from a place that depends on the
// device, so that devices spread over the slots. It returns nil when all
// are taken.
func (g *loginGuard) claimSlot(ctx context.Context, kv jetstream.KeyValue, device string, hold time.Duration, n int) (*sessionLease, error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(device))
	first := int(h.Sum32() % uint32(n))
	for i := range n {
		key, err := proto.SlotKey(g.site, (first+i)%n)
		if err != nil {
			return nil, err
		}
		now := g.now()
		rev, err := updateJSON(ctx, kv, key, func(h *sessionHold) (bool, error) {
			if h.Worker != "" && h.Until.After(now) {
				return false, nil
			}
			*h = sessionHold{Worker: g.worker, Job: device, Until: now.Add(hold)}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		if rev != 0 {
			return &sessionLease{g: g, kv: kv, key: key, rev: rev, job: device, log: g.log.With("device", device, "slot", key),
				until: now.Add(hold)}, nil
		}
	}
	return nil, nil
}
