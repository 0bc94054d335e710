package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/backoff"
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
	dev, ok := s.device(&job, msg, log)
	if !ok || s.dropStale(&job, msg, log) {
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
	log.Debug("probing", "site", job.GetSite(), "targets", len(dev.Targets))
	r, outcome, ok := s.probe(ctx, &job, msg, dev, log)
	if ctx.Err() != nil {
		// Shutting down: let another worker take the job now.
		s.cfg.Metrics.jobs.WithLabelValues("requeued").Inc()
		_ = msg.Nak()
		return
	}
	if !ok {
		return // dropped as stale, or given back to the queue
	}
	res := ResultProto(&job, s.cfg.ID, r)
	if err := s.publishUntil(ctx, res, job.GetDeadline()); err != nil {
		log.Error("publish result; job will be redelivered", "err", err)
		s.cfg.Metrics.jobs.WithLabelValues("requeued").Inc()
		_ = msg.NakWithDelay(time.Second)
		return
	}
	s.cfg.Metrics.jobs.WithLabelValues(outcome).Inc()
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
	// Logged before it is counted: whoever sees the count sees the line.
	log.Warn("drop stale job", "deadline", dl.AsTime(), "stale_total", s.stale.Load()+1)
	s.stale.Add(1)
	s.cfg.Metrics.jobs.WithLabelValues("stale").Inc()
	_ = msg.Term()
	return true
}

// keepAlive tells NATS the job is in progress until stop is called, so a
// long probe is not redelivered while it runs.
func (s *Service) keepAlive(ctx context.Context, msg jetstream.Msg) (stop func()) {
	return every(ctx, s.cfg.AckWait/3, func(context.Context) bool {
		_ = msg.InProgress()
		return true
	})
}

// every calls tick every period, in a goroutine of its own, until tick
// returns false or the returned stop is called (which waits for it). The
// context tick gets ends at stop.
func every(ctx context.Context, period time.Duration, tick func(context.Context) bool) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if !tick(ctx) {
					return
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// device finds the job's device in this worker's own inventory. A job for
// another site or a device the inventory lacks is refused: counted, logged,
// terminated, never probed. A job from a scheduler with another inventory
// revision is probed from ours, and the difference reported.
func (s *Service) device(job *proto.ProbeJob, msg jetstream.Msg, log *slog.Logger) (Device, bool) {
	inv := s.cfg.Inventory()
	d, err := inv.lookup(job)
	if err != nil {
		s.refused.Add(1)
		s.cfg.Metrics.jobs.WithLabelValues("refused").Inc()
		log.Warn("refuse job", "subject", msg.Subject(), "err", err, "refused_total", s.refused.Load())
		_ = msg.Term()
		return Device{}, false
	}
	s.checkRevision(job.GetInventoryRevision(), inv.Revision, log)
	return d, true
}

// checkRevision records whether the job's inventory revision is ours, and
// logs each new disagreement once.
func (s *Service) checkRevision(theirs, ours string, log *slog.Logger) {
	if theirs == ours {
		s.cfg.Metrics.revisionMismatch.WithLabelValues(s.cfg.Site).Set(0)
		s.mismatch.Store(nil)
		return
	}
	s.cfg.Metrics.revisionMismatch.WithLabelValues(s.cfg.Site).Set(1)
	next := &[2]string{theirs, ours}
	if prev := s.mismatch.Swap(next); prev == nil || *prev != *next {
		log.Warn("inventory revision differs from the scheduler's: probing from this worker's configuration; one of the two runs a stale configuration",
			"scheduler_revision", theirs, "worker_revision", ours)
	}
}

// publishUntil publishes the result in hand, retrying with backoff until
// the job's deadline rather than probing the device again.
func (s *Service) publishUntil(ctx context.Context, res *proto.ProbeResult, deadline *timestamppb.Timestamp) error {
	retry := backoff.Backoff{Initial: 250 * time.Millisecond, Max: 10 * time.Second}
	for {
		err := s.publish(ctx, res)
		if err == nil || ctx.Err() != nil {
			return err
		}
		wait := retry.Next()
		if deadline != nil && s.cfg.Now().Add(wait).After(deadline.AsTime()) {
			return err
		}
		s.log.Warn("publish result; retrying", "job", res.GetJobId(), "in", wait, "err", err)
		_ = backoff.Sleep(ctx, wait) // an ended ctx fails the next publish
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

// ResultProto converts the result of probing job for the wire. Each link
// carries the ping that was run, from the worker's own inventory.
func ResultProto(job *proto.ProbeJob, workerID string, r DeviceResult) *proto.ProbeResult {
	out := &proto.ProbeResult{
		JobId: job.GetId(), Device: r.Device, Site: r.Site, Worker: workerID,
		StartedAt: timestamppb.New(r.StartedAt), CheckedAt: timestamppb.New(r.CheckedAt),
		Failure: r.Failure, FailureText: r.FailureText,
		ScheduledAt: job.GetScheduledAt(),
	}
	for _, l := range r.Links {
		lr := &proto.LinkResult{
			Status: l.Status, Sent: uint32(l.Sent), Received: uint32(l.Received),
			SuccessPercent: l.SuccessPercent, RttMinMs: l.RTTMinMs, RttAvgMs: l.RTTAvgMs, RttMaxMs: l.RTTMaxMs,
			Error: l.Error, CheckedAt: timestamppb.New(l.CheckedAt),
			Target: &proto.Target{Address: l.Target, Vrf: l.VRF, Source: l.Source, Count: uint32(l.Count),
				Timeout: durationpb.New(l.Timeout), Size: uint32(l.Size)},
		}
		out.Links = append(out.Links, lr)
	}
	return out
}
