package worker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
)

const password = "s3cret-device-pw"

// serviceRig runs one worker of site dc1 against an embedded NATS server
// and a simulated router r1. Its inventory holds r1, r9 whose credential
// does not exist, and r8 with a target that fails validation.
type serviceRig struct {
	*siteRig
	svc  *worker.Service
	port int
	log  *logBuffer // the worker's log, warnings and up
}

func newServiceRig(t *testing.T) *serviceRig {
	t.Helper()
	return newServiceRigWith(t, true)
}

// newServiceRigWith starts the worker before the streams exist unless
// streamsFirst.
func newServiceRigWith(t *testing.T, streamsFirst bool) *serviceRig {
	t.Helper()
	site := newSiteRig(t, `
devices:
  - name: r1
    platform: cisco_iosxe
    username: admin
    password: `+password+`
    targets: { 10.0.0.1: up, 10.0.0.2: down }
`, streamsFirst)
	site.creds["lab"] = worker.Login{Username: "admin", Password: password}
	targets := []ping.Params{{Target: "10.0.0.1", Count: 3, Timeout: time.Second}, {Target: "10.0.0.2", Count: 3, Timeout: time.Second}}
	site.add("r1", "r1", "lab", targets...)
	site.add("r9", "r1", "nosuch", targets...)
	// r8's target would add an option: a configuration that skipped
	// validation, which the worker checks again.
	site.add("r8", "r1", "lab", ping.Params{Target: "10.0.0.1 repeat 100000", Count: 3, Timeout: time.Second})
	svc, logs := site.startWorker(t, worker.ServiceConfig{ID: "w1", Concurrency: 2, AckWait: 3 * time.Second})
	return &serviceRig{siteRig: site, svc: svc, port: site.sim.Port("r1"), log: logs}
}

// result waits for the result of job id of device r1 on the results
// stream.
func (r *serviceRig) result(t *testing.T, id string) *proto.ProbeResult {
	t.Helper()
	return r.resultOf(t, "r1", id)
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
	r.ready(t)
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
