package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim"
)

const password = "s3cret-device-pw"

// serviceRig runs one worker of site dc1 against an embedded NATS server
// and a simulated router r1. Its inventory holds r1, r9 whose credential
// does not exist, and r8 with a target that fails validation.
type serviceRig struct {
	js   jetstream.JetStream
	svc  *worker.Service
	inv  *worker.Inventory
	port int
	log  *logBuffer // the worker's log, warnings and up
}

// logBuffer collects log text written from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newServiceRig(t *testing.T) *serviceRig {
	t.Helper()
	return newServiceRigWith(t, true)
}

// newServiceRigWith starts the worker before the streams exist unless
// streamsFirst.
func newServiceRigWith(t *testing.T, streamsFirst bool) *serviceRig {
	t.Helper()
	fleet, err := sim.ParseFleet([]byte(`
devices:
  - name: r1
    platform: cisco_iosxe
    username: admin
    password: ` + password + `
    targets: { 10.0.0.1: up, 10.0.0.2: down }
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := sim.Start(ctx, fleet, nil)
	if err != nil {
		t.Fatal(err)
	}
	js := localnatstest.JetStream(t)
	if streamsFirst {
		if err := proto.EnsureStreams(ctx, js, time.Minute, 1); err != nil {
			t.Fatal(err)
		}
	}
	creds := func(name string) (worker.Login, error) {
		if name != "lab" {
			return worker.Login{}, errors.New("no such credential")
		}
		return worker.Login{Username: "admin", Password: password}, nil
	}
	targets := []ping.Params{{Target: "10.0.0.1", Count: 3, Timeout: time.Second}, {Target: "10.0.0.2", Count: 3, Timeout: time.Second}}
	inv := &worker.Inventory{Site: "dc1", Revision: "rev-1", Devices: map[string]worker.Device{
		"r1": {Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: srv.Port("r1"), Platform: "cisco_iosxe", Credential: "lab", Targets: targets},
		"r9": {Name: "r9", Site: "dc1", Host: "127.0.0.1", Port: srv.Port("r1"), Platform: "cisco_iosxe", Credential: "nosuch", Targets: targets},
		// r8's target would add an option: a configuration that skipped
		// validation, which the worker checks again.
		"r8": {Name: "r8", Site: "dc1", Host: "127.0.0.1", Port: srv.Port("r1"), Platform: "cisco_iosxe", Credential: "lab",
			Targets: []ping.Params{{Target: "10.0.0.1 repeat 100000", Count: 3, Timeout: time.Second}}},
	}}
	logs := &logBuffer{}
	svc, err := worker.NewService(js, worker.ServiceConfig{Site: "dc1", ID: "w1", Concurrency: 2,
		AckWait: 3 * time.Second, Inventory: func() *worker.Inventory { return inv }, Credentials: creds,
		Prober: &worker.Prober{HostKeys: worker.InsecureHostKeys{}},
		Log:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker Run: %v", err)
		}
		srv.Close()
	})
	return &serviceRig{js: js, svc: svc, inv: inv, port: srv.Port("r1"), log: logs}
}

// job is a job of site dc1 for device, with the worker's inventory
// revision.
func (r *serviceRig) job(id, device string, deadline time.Time) *proto.ProbeJob {
	return &proto.ProbeJob{Id: id, Device: device, Site: "dc1", Deadline: timestamppb.New(deadline),
		ScheduledAt: timestamppb.New(deadline.Add(-time.Minute)), InventoryRevision: r.inv.Revision}
}

func (r *serviceRig) publish(t *testing.T, job *proto.ProbeJob) {
	t.Helper()
	data, err := pb.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	r.publishRaw(t, job.GetSite(), job.GetId(), data)
}

// publishRaw publishes encoded job bytes on site's job subject.
func (r *serviceRig) publishRaw(t *testing.T, site, id string, data []byte) {
	t.Helper()
	if bytes.Contains(data, []byte(password)) {
		t.Fatal("the job carries the device password")
	}
	subject, _ := proto.JobSubject(site)
	if _, err := r.js.Publish(context.Background(), subject, data, jetstream.WithMsgID(id)); err != nil {
		t.Fatal(err)
	}
}

// result waits for the result of job id of device r1 on the results
// stream.
func (r *serviceRig) result(t *testing.T, id string) *proto.ProbeResult {
	t.Helper()
	return r.resultOf(t, "r1", id)
}

func (r *serviceRig) resultOf(t *testing.T, device, id string) *proto.ProbeResult {
	t.Helper()
	stream, err := r.js.Stream(context.Background(), proto.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	var res proto.ProbeResult
	waittest.For(t, 20*time.Second, func() error {
		m, err := stream.GetLastMsgForSubject(context.Background(), "linkwatch.results.dc1."+device)
		if err != nil {
			return fmt.Errorf("no result for job %s: %w", id, err)
		}
		if bytes.Contains(m.Data, []byte(password)) {
			t.Fatal("the result carries the device password")
		}
		if err := pb.Unmarshal(m.Data, &res); err != nil {
			t.Fatal(err)
		}
		if res.GetJobId() != id {
			return fmt.Errorf("no result for job %s: the last is job %s's", id, res.GetJobId())
		}
		return nil
	})
	return &res
}

// drained is a condition for waittest.For: no job left on the jobs
// stream, and at least probed jobs probed (the count follows the ack).
func (r *serviceRig) drained(t *testing.T, probed int64) func() error {
	return func() error {
		if n, p := jobsPending(t, r.js), r.svc.Probed(); n != 0 || p < probed {
			return fmt.Errorf("%d jobs pending and %d probed, want 0 pending and at least %d probed", n, p, probed)
		}
		return nil
	}
}

// counted is a condition for waittest.For: n() is want.
func counted(what string, n func() int64, want int64) func() error {
	return func() error {
		if got := n(); got != want {
			return fmt.Errorf("%d %s, want %d", got, what, want)
		}
		return nil
	}
}

func jobsPending(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	stream, err := js.Stream(context.Background(), proto.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestServiceProbesPublishesThenAcks(t *testing.T) {
	r := newServiceRig(t)
	job := r.job("r1@1", "r1", time.Now().Add(time.Minute))
	r.publish(t, job)
	res := r.result(t, "r1@1")
	if !res.GetScheduledAt().AsTime().Equal(job.GetScheduledAt().AsTime()) {
		t.Errorf("result scheduled at %v, want the job's %v", res.GetScheduledAt().AsTime(), job.GetScheduledAt().AsTime())
	}
	if res.GetWorker() != "w1" || res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		t.Fatalf("result from %q failure %v (%s)", res.GetWorker(), res.GetFailure(), res.GetFailureText())
	}
	got := []proto.LinkStatus{res.GetLinks()[0].GetStatus(), res.GetLinks()[1].GetStatus()}
	if got[0] != proto.LinkStatus_LINK_STATUS_UP || got[1] != proto.LinkStatus_LINK_STATUS_DOWN {
		t.Errorf("links %v, want UP and DOWN", got)
	}
	for i, want := range []string{"10.0.0.1", "10.0.0.2"} {
		if tg := res.GetLinks()[i].GetTarget(); tg.GetAddress() != want || tg.GetCount() != 3 {
			t.Errorf("link %d target %v, want %s with count 3 from the inventory", i, tg, want)
		}
	}
	waittest.For(t, 20*time.Second, r.drained(t, 1))
	if r.svc.Probed() != 1 {
		t.Errorf("probed %d jobs, want 1", r.svc.Probed())
	}
}

// TestServiceWaitsForTheStreams starts a worker before the scheduler has
// made the streams, as happens when a remote site comes up first: it is
// not Ready until it binds its consumer once they are there.
func TestServiceWaitsForTheStreams(t *testing.T) {
	r := newServiceRigWith(t, false)
	waittest.For(t, 20*time.Second, func() error { // the worker finds no stream
		if !strings.Contains(r.log.String(), "bind the site's job consumer; retrying") {
			return errors.New("the worker has not tried to bind its consumer yet")
		}
		return nil
	})
	if err := r.svc.Ready(); err == nil || !strings.Contains(err.Error(), "not bound yet: create consumer worker-dc1") {
		t.Errorf("Ready before the streams exist = %v, want the consumer not bound yet", err)
	}
	if err := proto.EnsureStreams(context.Background(), r.js, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 20*time.Second, r.svc.Ready)
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	if res := r.result(t, "r1@1"); res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		t.Errorf("result failure %v (%s)", res.GetFailure(), res.GetFailureText())
	}
}

func TestServiceDropsStaleJobs(t *testing.T) {
	r := newServiceRig(t)
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(-time.Second)))
	waittest.For(t, 20*time.Second, counted("stale jobs dropped", r.svc.Stale, 1))
	waittest.For(t, 20*time.Second, r.drained(t, 0))
	// A fresh job after it is probed: the stale one produced no result.
	r.publish(t, r.job("r1@2", "r1", time.Now().Add(time.Minute)))
	r.result(t, "r1@2")
	// The count follows the ack, which follows the published result.
	waittest.For(t, 20*time.Second, r.drained(t, 1))
	if r.svc.Probed() != 1 {
		t.Errorf("probed %d jobs, want only the fresh one", r.svc.Probed())
	}
}

func TestServiceUnknownCredentialIsADeviceFailure(t *testing.T) {
	r := newServiceRig(t)
	r.publish(t, r.job("r9@1", "r9", time.Now().Add(time.Minute)))
	res := r.resultOf(t, "r9", "r9@1")
	if res.GetFailure() == proto.FailureKind_FAILURE_KIND_UNSPECIFIED || res.GetFailureText() == "" {
		t.Errorf("result %v: want a device failure naming the credential", res)
	}
}
