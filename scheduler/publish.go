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
	// AckTimeout is how long a job's ack may take before the job counts
	// as not published. The JetStream context the scheduler is given
	// should time its asynchronous publishes out by it too
	// (jetstream.WithPublishAsyncTimeout, as app.JetStream does): else an
	// ack that never comes stays pending in it for good, and once
	// nats.go's limit of pending acks is reached every publish stalls.
	AckTimeout = 10 * time.Second
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

// template is a device's job encoded once per inventory, less what each
// job adds (id, slot, times), with the subject it goes to.
type template struct {
	device, site, subject string
	data                  []byte
	err                   error
}

// templates encodes inv's jobs; done at start and on reload only.
func templates(inv Inventory) []template {
	out := make([]template, len(inv.Devices))
	for i, d := range inv.Devices {
		t := &out[i]
		t.device, t.site = d.GetDevice(), d.GetSite()
		if t.subject, t.err = proto.JobSubject(t.site); t.err != nil {
			t.err = fmt.Errorf("device %s: %w", t.device, t.err)
			continue
		}
		if t.data, t.err = pb.Marshal(d); t.err != nil {
			t.err = fmt.Errorf("encode job: %w", t.err)
		}
	}
	return out
}

// publish sends one job; a failure is counted and the job is skipped: the
// next slot brings a fresh one, and a late probe is worth less than none.
func (p *publisher) publish(ctx context.Context, t *template, interval time.Duration, d Due) {
	id := proto.JobID(t.device, d.Slot)
	ack, err := p.send(t, &proto.ProbeJob{
		Id:          id,
		Slot:        d.Slot,
		ScheduledAt: timestamppb.New(d.At),
		Deadline:    timestamppb.New(d.At.Add(interval)),
	})
	if err != nil {
		p.s.settle(ctx, id, t.site, err)
		return
	}
	select {
	case p.acks <- inFlight{ack: ack, job: id, site: t.site, deadline: time.Now().Add(AckTimeout)}:
	case <-ctx.Done():
	}
}

// send publishes the template with the fields of this job appended: in
// protobuf's encoding a message followed by fields is that message with
// those fields set, so the template is not encoded again for each job.
func (p *publisher) send(t *template, job *proto.ProbeJob) (jetstream.PubAckFuture, error) {
	if t.err != nil {
		return nil, t.err
	}
	data, err := pb.MarshalOptions{}.MarshalAppend(append(make([]byte, 0, len(t.data)+64), t.data...), job)
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	ack, err := p.s.js.PublishMsgAsync(&nats.Msg{Subject: t.subject, Data: data}, jetstream.WithMsgID(job.GetId()))
	if err != nil {
		return nil, fmt.Errorf("publish to %s: %w", t.subject, err)
	}
	return ack, nil
}

// collect settles each job sent as its ack comes, or fails to come.
func (p *publisher) collect(ctx context.Context) {
	defer close(p.done)
	timer := time.NewTimer(AckTimeout)
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
		return fmt.Errorf("publish job: no ack in %v", AckTimeout)
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
			s.metrics.failed.WithLabelValues(site).Inc()
			s.bus.Retry(err)
			s.log.Debug("publish job", "job", job, "err", err)
		}
		return
	}
	s.bus.Done()
	s.published.Add(1)
	s.metrics.published.WithLabelValues(site).Inc()
	s.log.Debug("job published", "job", job, "site", site)
}
