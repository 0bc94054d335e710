package proto

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
)

func startJetStream(t *testing.T) (context.Context, jetstream.JetStream) {
	t.Helper()
	js := localnatstest.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx, js
}

func streamConfig(ctx context.Context, t *testing.T, js jetstream.JetStream, name string) jetstream.StreamConfig {
	t.Helper()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s info: %v", name, err)
	}
	return info.Config
}

func TestEnsureStreamsCreatesAndUpdates(t *testing.T) {
	ctx, js := startJetStream(t)
	steps := []struct {
		interval time.Duration
		wantJobs time.Duration // jobs MaxAge and duplicate window
	}{
		{5 * time.Minute, 5 * time.Minute},
		{5 * time.Minute, 5 * time.Minute}, // same again: a no-op update
		{time.Minute, time.Minute},         // a new interval
		{time.Second, 10 * time.Second},    // never below 10 s
	}
	for _, step := range steps {
		if err := EnsureStreams(ctx, js, step.interval, 1); err != nil {
			t.Fatalf("EnsureStreams(%s): %v", step.interval, err)
		}
		jobs := streamConfig(ctx, t, js, StreamJobs)
		if jobs.Retention != jetstream.WorkQueuePolicy || jobs.Storage != jetstream.FileStorage ||
			len(jobs.Subjects) != 1 || jobs.Subjects[0] != JobsAll {
			t.Errorf("interval %s: jobs stream = %+v", step.interval, jobs)
		}
		if jobs.MaxAge != step.wantJobs || jobs.Duplicates != step.wantJobs {
			t.Errorf("interval %s: jobs MaxAge %s, Duplicates %s, want both %s",
				step.interval, jobs.MaxAge, jobs.Duplicates, step.wantJobs)
		}
		results := streamConfig(ctx, t, js, StreamResults)
		if results.Retention != jetstream.LimitsPolicy || results.Storage != jetstream.FileStorage ||
			len(results.Subjects) != 1 || results.Subjects[0] != ResultsAll ||
			results.MaxAge != 24*time.Hour || results.Duplicates < 2*time.Minute {
			t.Errorf("interval %s: results stream = %+v", step.interval, results)
		}
	}
}

func TestJobPublishedTwiceIsStoredOnce(t *testing.T) {
	ctx, js := startJetStream(t)
	if err := EnsureStreams(ctx, js, time.Minute, 1); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	subject, err := JobSubject("dc1")
	if err != nil {
		t.Fatalf("JobSubject: %v", err)
	}
	job := &ProbeJob{Id: JobID("r1", 7), Slot: 7, Device: "r1", Site: "dc1"}
	data, err := pb.Marshal(job)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	// Two schedulers publishing the same slot.
	for i, wantDup := range []bool{false, true} {
		ack, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(job.Id))
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if ack.Duplicate != wantDup {
			t.Errorf("publish %d: duplicate = %v, want %v", i, ack.Duplicate, wantDup)
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
	if info.State.Msgs != 1 {
		t.Errorf("jobs stream holds %d messages, want 1", info.State.Msgs)
	}
}

func TestSubjectsLandInTheirStreams(t *testing.T) {
	ctx, js := startJetStream(t)
	if err := EnsureStreams(ctx, js, time.Minute, 1); err != nil {
		t.Fatalf("EnsureStreams: %v", err)
	}
	job, err := JobSubject("dc1")
	if err != nil {
		t.Fatalf("JobSubject: %v", err)
	}
	result, err := ResultSubject("dc1", "r1")
	if err != nil {
		t.Fatalf("ResultSubject: %v", err)
	}
	tests := []struct{ subject, stream string }{
		{job, StreamJobs},
		{result, StreamResults},
	}
	for _, tt := range tests {
		ack, err := js.Publish(ctx, tt.subject, []byte("x"))
		if err != nil {
			t.Fatalf("publish on %s: %v", tt.subject, err)
		}
		if ack.Stream != tt.stream {
			t.Errorf("publish on %s stored in %q, want %q", tt.subject, ack.Stream, tt.stream)
		}
	}
}
