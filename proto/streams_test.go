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

// TestEnsureStreamUndoesTampering changes the streams as a role allowed to
// update one could, to move messages elsewhere or drop them; the keeper's
// next EnsureStream puts each back as it should be.
func TestEnsureStreamUndoesTampering(t *testing.T) {
	tampers := []struct {
		name   string
		stream string
		change func(c *jetstream.StreamConfig)
	}{
		{"jobs republished as results", StreamJobs, func(c *jetstream.StreamConfig) {
			c.RePublish = &jetstream.RePublish{Source: "linkwatch.jobs.dc1", Destination: "linkwatch.results.dc1.r1"}
		}},
		{"results sourced from the jobs", StreamResults, func(c *jetstream.StreamConfig) {
			c.Sources = []*jetstream.StreamSource{{Name: StreamJobs}}
		}},
		{"results capped to one message", StreamResults, func(c *jetstream.StreamConfig) { c.MaxMsgs = 1 }},
		{"results subjects transformed", StreamResults, func(c *jetstream.StreamConfig) {
			c.SubjectTransform = &jetstream.SubjectTransformConfig{Source: "linkwatch.results.dc1.r2", Destination: "linkwatch.results.dc1.r1"}
		}},
	}
	for _, tt := range tampers {
		t.Run(tt.name, func(t *testing.T) {
			ctx, js := startJetStream(t)
			if err := EnsureStream(ctx, js, tt.stream, time.Minute, 1); err != nil {
				t.Fatal(err)
			}
			cfg := streamConfig(ctx, t, js, tt.stream)
			tt.change(&cfg)
			if _, err := js.UpdateStream(ctx, cfg); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			if err := EnsureStream(ctx, js, tt.stream, time.Minute, 1); err != nil {
				t.Fatal(err)
			}
			got := streamConfig(ctx, t, js, tt.stream)
			if got.RePublish != nil || len(got.Sources) > 0 || got.MaxMsgs > 0 || got.SubjectTransform != nil {
				t.Errorf("after EnsureStream: republish %v, sources %v, max msgs %d, transform %v; want none",
					got.RePublish, got.Sources, got.MaxMsgs, got.SubjectTransform)
			}
		})
	}
	ctx, js := startJetStream(t)
	if err := EnsureStream(ctx, js, "OTHER", time.Minute, 1); err == nil {
		t.Error("EnsureStream made a stream that is not linkwatch's")
	}
}
