package worker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// fleetOf is a fleet file of cisco_iosxe devices with password right-pw,
// each with the extra keys given (a flow mapping's inside, like
// "delay: 100ms"), whose targets are all up.
func fleetOf(devices map[string]string) string {
	var b strings.Builder
	b.WriteString("devices:\n")
	for name, extra := range devices {
		fmt.Fprintf(&b, "  - {name: %s, platform: cisco_iosxe, username: admin, password: right-pw, targets: {10.0.0.1: up}", name)
		if extra != "" {
			b.WriteString(", " + extra)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestAuthFailedIsNotRetried gives a worker a job for a device whose
// credential it refuses, and watches well past the ack wait: one login
// attempt, the job acked with its AUTH_FAILED result, never redelivered.
// The device is tried again only by its next scheduled job.
func TestAuthFailedIsNotRetried(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": ""}), true)
	r.creds["bad"] = worker.Login{Username: "admin", Password: "wrong-pw"}
	r.add("r1", "r1", "bad")
	const ackWait = time.Second
	svc, _ := r.startWorker(t, worker.ServiceConfig{ID: "w1", AckWait: ackWait})
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	res := r.resultOf(t, "r1", "r1@1")
	if res.GetFailure() != proto.FailureKind_FAILURE_KIND_AUTH_FAILED {
		t.Fatalf("result %v %q, want AUTH_FAILED", res.GetFailure(), res.GetFailureText())
	}
	waittest.For(t, 10*time.Second, counted("jobs probed", svc.Probed, 1))
	until := time.Now().Add(4 * ackWait)
	waittest.For(t, 4*ackWait+10*time.Second, func() error {
		if n := len(r.sim.AuthAttempts("r1")); n != 1 {
			t.Fatalf("%d login attempts, want 1", n)
		}
		info := r.consumer(t)
		if info.Delivered.Consumer != 1 || info.NumRedelivered != 0 || info.NumAckPending != 0 || jobsPending(t, r.js) != 0 {
			t.Fatalf("job delivered %d times, %d redelivered, %d waiting for an ack, %d on the stream; want 1, 0, 0, 0",
				info.Delivered.Consumer, info.NumRedelivered, info.NumAckPending, jobsPending(t, r.js))
		}
		if time.Now().Before(until) {
			return fmt.Errorf("watching for a second attempt until %s", until.Format(time.StampMilli))
		}
		return nil
	})
}

// TestSiteConcurrencyCapsLoginsAcrossWorkers runs two workers of a site
// that could each probe four devices at once, with a site cap of one: the
// fleet never has more than one session open at a time.
func TestSiteConcurrencyCapsLoginsAcrossWorkers(t *testing.T) {
	devices := map[string]string{}
	for i := range 6 {
		devices[fmt.Sprintf("r%d", i)] = "delay: 100ms"
	}
	r := newSiteRig(t, fleetOf(devices), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	for name := range devices {
		r.add(name, name, "lab", ping.Params{Target: "10.0.0.1", Count: 3, Timeout: time.Second})
	}
	a, _ := r.startWorker(t, worker.ServiceConfig{ID: "w1", Concurrency: 4, SiteConcurrency: 1})
	b, _ := r.startWorker(t, worker.ServiceConfig{ID: "w2", Concurrency: 4, SiteConcurrency: 1})
	for name := range devices {
		r.publish(t, r.job(name+"@1", name, time.Now().Add(time.Minute)))
	}
	waittest.For(t, 30*time.Second, func() error {
		if n := a.Probed() + b.Probed(); n != int64(len(devices)) {
			return fmt.Errorf("%d jobs probed, want %d", n, len(devices))
		}
		return nil
	})
	for name := range devices {
		if res := r.resultOf(t, name, name+"@1"); res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
			t.Errorf("%s: %v %q", name, res.GetFailure(), res.GetFailureText())
		}
	}
	if _, most := r.sim.FleetSessions(); most != 1 {
		t.Errorf("at most %d sessions open at once on the site, want 1", most)
	}
	if got := r.consumer(t).Config.MaxAckPending; got != 1 {
		t.Errorf("site consumer MaxAckPending %d, want 1", got)
	}
}
