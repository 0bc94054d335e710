package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// handle runs one job: drop it if stale, probe, publish the result, and
// only then ack it. A worker that dies before the ack leaves the job to be
// redelivered to another worker of the site.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg) {
	var job proto.ProbeJob
	if err := pb.Unmarshal(msg.Data(), &job); err != nil {
		s.log.Error("drop undecodable job", "subject", msg.Subject(), "err", err)
		s.cfg.Metrics.jobs.WithLabelValues("invalid").Inc()
		_ = msg.Term()
		return
	}
	log := s.log.With("job", job.GetId(), "device", job.GetDevice())
	if s.dropStale(&job, msg, log) {
		return
	}
	stop := s.keepAlive(ctx, msg)
	defer stop()
	// The job is ours from here: wait for a slot (shared with the other
	// sites' workers in `linkwatch run`) with NATS told it is in progress.
	if s.cfg.Limiter != nil {
		release, err := s.cfg.Limiter.Acquire(ctx, s.cfg.Site)
		if err != nil {
			_ = msg.Nak()
			return
		}
		defer release()
		if s.dropStale(&job, msg, log) {
			return
		}
	}
	log.Debug("probing", "site", job.GetSite(), "targets", len(job.GetTargets()))
	res := s.run(ctx, &job)
	if ctx.Err() != nil {
		// Shutting down: let another worker take the job now.
		s.cfg.Metrics.jobs.WithLabelValues("requeued").Inc()
		_ = msg.Nak()
		return
	}
	if err := s.publishUntil(ctx, res, job.GetDeadline()); err != nil {
		log.Error("publish result; job will be redelivered", "err", err)
		s.cfg.Metrics.jobs.WithLabelValues("requeued").Inc()
		_ = msg.NakWithDelay(time.Second)
		return
	}
	s.cfg.Metrics.jobs.WithLabelValues("probed").Inc()
	// The result is out: ack even when shutting down, or the job would be
	// probed again.
	ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := msg.DoubleAck(ackCtx); err != nil {
		log.Warn("ack job", "err", err)
	}
	s.probed.Add(1)
	log.Debug("job done", "failure", res.GetFailure().Short(), "links", len(res.GetLinks()))
}

// dropStale drops and counts a job past its deadline: a late probe is
// worth less than the next slot's fresh one.
func (s *Service) dropStale(job *proto.ProbeJob, msg jetstream.Msg, log *slog.Logger) bool {
	dl := job.GetDeadline()
	if dl == nil || !s.cfg.Now().After(dl.AsTime()) {
		return false
	}
	s.stale.Add(1)
	s.cfg.Metrics.jobs.WithLabelValues("stale").Inc()
	log.Warn("drop stale job", "deadline", dl.AsTime(), "stale_total", s.stale.Load())
	_ = msg.Term()
	return true
}

// keepAlive tells NATS the job is in progress until stop is called, so a
// long probe is not redelivered while it runs.
func (s *Service) keepAlive(ctx context.Context, msg jetstream.Msg) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.cfg.AckWait / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { cancel(); <-done }
}

// run probes the job's device and builds the result.
func (s *Service) run(ctx context.Context, job *proto.ProbeJob) *proto.ProbeResult {
	dev, err := s.device(job)
	var r DeviceResult
	if err != nil {
		now := s.cfg.Now()
		r = DeviceResult{Device: job.GetDevice(), Site: job.GetSite(), StartedAt: now, CheckedAt: now,
			Failure: FailureCLI, FailureText: err.Error()}
	} else {
		s.cfg.Metrics.inFlight.Inc()
		r = s.cfg.Prober.Probe(ctx, dev)
		s.cfg.Metrics.inFlight.Dec()
	}
	s.cfg.Metrics.observe(r)
	return ResultProto(job, s.cfg.ID, r)
}

// device turns a job into a probe input for this worker's site.
func (s *Service) device(job *proto.ProbeJob) (Device, error) {
	if job.GetSite() != s.cfg.Site {
		return Device{}, fmt.Errorf("job for site %q reached a worker of site %q", job.GetSite(), s.cfg.Site)
	}
	d, err := DeviceFromJob(job, s.cfg.Credentials)
	if err != nil {
		return Device{}, fmt.Errorf("worker %s: %w", s.cfg.ID, err)
	}
	return d, nil
}

// DeviceFromJob turns a job into a probe input, checking the device name
// and resolving the job's credential locally with creds.
func DeviceFromJob(job *proto.ProbeJob, creds Credentials) (Device, error) {
	if err := proto.ValidName(job.GetDevice()); err != nil {
		return Device{}, fmt.Errorf("device: %w", err)
	}
	if creds == nil {
		return Device{}, fmt.Errorf("no credentials configured")
	}
	user, pass, err := creds(job.GetCredentials())
	if err != nil {
		return Device{}, fmt.Errorf("resolve credential %q: %w", job.GetCredentials(), err)
	}
	d := Device{Name: job.GetDevice(), Site: job.GetSite(), Host: job.GetHost(), Port: int(job.GetPort()),
		Platform: job.GetPlatform(), Username: user, Password: pass}
	for _, t := range job.GetTargets() {
		d.Targets = append(d.Targets, ping.Params{Target: t.GetAddress(), VRF: t.GetVrf(), Source: t.GetSource(),
			Count: int(t.GetCount()), Timeout: t.GetTimeout().AsDuration(), Size: int(t.GetSize())})
	}
	return d, nil
}

// publishUntil publishes the result in hand, retrying with backoff until
// the job's deadline rather than probing the device again.
func (s *Service) publishUntil(ctx context.Context, res *proto.ProbeResult, deadline *timestamppb.Timestamp) error {
	wait := 250 * time.Millisecond
	for {
		err := s.publish(ctx, res)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if deadline != nil && s.cfg.Now().Add(wait).After(deadline.AsTime()) {
			return err
		}
		s.log.Warn("publish result; retrying", "job", res.GetJobId(), "in", wait, "err", err)
		sleepCtx(ctx, wait)
		wait = min(2*wait, 10*time.Second)
	}
}

func (s *Service) publish(ctx context.Context, res *proto.ProbeResult) error {
	subject, err := proto.ResultSubject(res.GetSite(), res.GetDevice())
	if err != nil {
		return err
	}
	data, err := pb.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The job id as message id: a job probed twice (redelivery) publishes
	// its result once within the duplicate window.
	if _, err := s.js.Publish(ctx, subject, data, jetstream.WithMsgID(res.GetJobId())); err != nil {
		return fmt.Errorf("publish to %s: %w", subject, err)
	}
	return nil
}

// ResultProto converts the result of probing job for the wire.
func ResultProto(job *proto.ProbeJob, workerID string, r DeviceResult) *proto.ProbeResult {
	out := &proto.ProbeResult{
		JobId: job.GetId(), Device: r.Device, Site: r.Site, Worker: workerID,
		StartedAt: timestamppb.New(r.StartedAt), CheckedAt: timestamppb.New(r.CheckedAt),
		Failure: proto.FailureKindFromShort(string(r.Failure)), FailureText: r.FailureText,
		ScheduledAt: job.GetScheduledAt(),
	}
	targets := job.GetTargets()
	for i, l := range r.Links {
		lr := &proto.LinkResult{
			Status: proto.LinkStatusFromShort(string(l.Status)), Sent: uint32(l.Sent), Received: uint32(l.Received),
			SuccessPercent: l.SuccessPercent, RttMinMs: l.RTTMinMs, RttAvgMs: l.RTTAvgMs, RttMaxMs: l.RTTMaxMs,
			Error: l.Error, CheckedAt: timestamppb.New(l.CheckedAt),
		}
		if i < len(targets) {
			lr.Target = targets[i]
		} else {
			lr.Target = &proto.Target{Address: l.Target, Vrf: l.VRF}
		}
		out.Links = append(out.Links, lr)
	}
	return out
}
