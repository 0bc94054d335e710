package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
)

const (
	// maxInFlight bounds the jobs published whose ack has not come yet:
	// the scheduler does not wait for each ack before the next job, and
	// waits once this many are outstanding.
	maxInFlight = 256
	// ackTimeout is how long a job's ack may take before the job counts
	// as not published.
	ackTimeout = 10 * time.Second
)

// publisher publishes jobs without waiting for each ack: a goroutine
// collects the acks, at most maxInFlight outstanding, in the order the
// jobs were sent.
type publisher struct {
	s    *Scheduler
	acks chan inFlight
	done chan struct{}
}

// inFlight is a job published whose ack is awaited.
type inFlight struct {
	ack      jetstream.PubAckFuture
	job      string
	site     string
	deadline time.Time
}

// startPublisher starts collecting acks until close; after ctx ends, acks
// not yet come are no longer awaited.
func (s *Scheduler) startPublisher(ctx context.Context) *publisher {
	// One more is in flight while the collector waits for its ack.
	p := &publisher{s: s, acks: make(chan inFlight, maxInFlight-1), done: make(chan struct{})}
	go p.collect(ctx)
	return p
}

// close waits for the collector to finish with the jobs sent.
func (p *publisher) close() {
	close(p.acks)
	<-p.done
}

// publish sends one job; a failure is counted and the job is skipped: the
// next slot brings a fresh one, and a late probe is worth less than none.
func (p *publisher) publish(ctx context.Context, inv Inventory, d Due) {
	tmpl := inv.Devices[d.Device]
	job := pb.Clone(tmpl).(*proto.ProbeJob)
	job.Slot = d.Slot
	job.Id = proto.JobID(job.GetDevice(), d.Slot)
	job.ScheduledAt = timestamppb.New(d.At)
	job.Deadline = timestamppb.New(d.At.Add(inv.Interval))
	ack, err := p.send(job)
	if err != nil {
		p.s.settle(ctx, job.GetId(), job.GetSite(), err)
		return
	}
	select {
	case p.acks <- inFlight{ack: ack, job: job.GetId(), site: job.GetSite(), deadline: time.Now().Add(ackTimeout)}:
	case <-ctx.Done():
	}
}

func (p *publisher) send(job *proto.ProbeJob) (jetstream.PubAckFuture, error) {
	subject, err := proto.JobSubject(job.GetSite())
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", job.GetDevice(), err)
	}
	data, err := pb.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	ack, err := p.s.js.PublishMsgAsync(&nats.Msg{Subject: subject, Data: data}, jetstream.WithMsgID(job.GetId()))
	if err != nil {
		return nil, fmt.Errorf("publish to %s: %w", subject, err)
	}
	return ack, nil
}

// collect settles each job sent as its ack comes, or fails to come.
func (p *publisher) collect(ctx context.Context) {
	defer close(p.done)
	timer := time.NewTimer(ackTimeout)
	defer timer.Stop()
	for f := range p.acks {
		p.s.settle(ctx, f.job, f.site, p.await(ctx, f, timer))
	}
}

// await returns nil when f's job is stored, else why not.
func (p *publisher) await(ctx context.Context, f inFlight, timer *time.Timer) error {
	select {
	case <-f.ack.Ok():
		return nil
	case err := <-f.ack.Err():
		return fmt.Errorf("publish job: %w", err)
	default:
	}
	timer.Reset(time.Until(f.deadline))
	select {
	case <-f.ack.Ok():
		return nil
	case err := <-f.ack.Err():
		return fmt.Errorf("publish job: %w", err)
	case <-timer.C:
		return fmt.Errorf("publish job: no ack in %v", ackTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle counts a job published or not. The first failure is logged, and
// the first success after it; the jobs in between only at debug level, so
// an outage of the bus is two lines.
func (s *Scheduler) settle(ctx context.Context, job, site string, err error) {
	if err != nil {
		if ctx.Err() == nil {
			s.metrics.failed.Inc()
			s.bus.Retry(err)
			s.log.Debug("publish job", "job", job, "err", err)
		}
		return
	}
	s.bus.Done()
	s.published.Add(1)
	s.metrics.published.Inc()
	s.log.Debug("job published", "job", job, "site", site)
}
