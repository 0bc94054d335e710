package proto

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
)

// Workers of each site share one durable consumer filtered on their site's
// subject; the work-queue stream admits one per site, side by side.
func TestWorkerConsumersPerSite(t *testing.T) {
	ctx, js := startJetStream(t)
	if err := EnsureStreams(ctx, js, time.Minute, 1); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	sites := map[string][]string{"dc1": {"r1", "r2"}, "dc2": {"r3"}}
	consumers := map[string]jetstream.Consumer{}
	for site, devices := range sites {
		consumers[site] = workerConsumer(ctx, t, js, site)
		subject, err := JobSubject(site)
		if err != nil {
			t.Fatalf("JobSubject: %v", err)
		}
		for _, device := range devices {
			publishJob(ctx, t, js, subject, &ProbeJob{Id: JobID(device, 1), Slot: 1, Device: device, Site: site})
		}
	}
	for site, devices := range sites {
		got := fetchJobs(t, consumers[site], len(devices))
		for i, job := range got {
			if job.GetSite() != site || job.GetDevice() != devices[i] {
				t.Errorf("consumer of %s got job %s of site %s, want %s of %s",
					site, job.GetId(), job.GetSite(), devices[i], site)
			}
		}
	}
	st, err := js.Stream(ctx, StreamJobs)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if info.State.Msgs != 0 {
		t.Errorf("jobs stream holds %d messages after every job was acked, want 0", info.State.Msgs)
	}
}

func workerConsumer(ctx context.Context, t *testing.T, js jetstream.JetStream, site string) jetstream.Consumer {
	t.Helper()
	name, err := WorkerConsumer(site)
	if err != nil {
		t.Fatalf("WorkerConsumer: %v", err)
	}
	subject, err := JobSubject(site)
	if err != nil {
		t.Fatalf("JobSubject: %v", err)
	}
	c, err := js.CreateOrUpdateConsumer(ctx, StreamJobs, jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: subject,
		AckPolicy:     jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatalf("create consumer %s: %v", name, err)
	}
	return c
}

func publishJob(ctx context.Context, t *testing.T, js jetstream.JetStream, subject string, job *ProbeJob) {
	t.Helper()
	data, err := pb.Marshal(job)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if _, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(job.Id)); err != nil {
		t.Fatalf("publish %s: %v", job.Id, err)
	}
}

// fetchJobs fetches n jobs from c, acks each, checks none is left pending,
// and returns them in delivery order.
func fetchJobs(t *testing.T, c jetstream.Consumer, n int) []*ProbeJob {
	t.Helper()
	batch, err := c.Fetch(n, jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	var jobs []*ProbeJob
	for msg := range batch.Messages() {
		job := new(ProbeJob)
		if err := pb.Unmarshal(msg.Data(), job); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		if err := msg.DoubleAck(context.Background()); err != nil {
			t.Fatalf("ack %s: %v", job.Id, err)
		}
		jobs = append(jobs, job)
	}
	if err := batch.Error(); err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if len(jobs) != n {
		t.Fatalf("fetched %d jobs, want %d", len(jobs), n)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 {
		t.Fatalf("consumer %s: %d pending, %d awaiting ack, want none", info.Name, info.NumPending, info.NumAckPending)
	}
	return jobs
}
