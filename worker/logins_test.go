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

// fleetOf is a fleet file of cisco_iosxe devices with password right-pw
// unless their extra keys (a flow mapping's inside, like "delay: 100ms")
// give another, whose targets are all up.
func fleetOf(devices map[string]string) string {
	var b strings.Builder
	b.WriteString("devices:\n")
	for name, extra := range devices {
		fmt.Fprintf(&b, "  - {name: %s, platform: cisco_iosxe, username: admin, targets: {10.0.0.1: up}", name)
		if !strings.Contains(extra, "password:") {
			b.WriteString(", password: right-pw")
		}
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

// TestOneSessionPerDeviceAcrossWorkers runs two workers of a site and
// gives them two jobs for one device at once: the device never sees two
// sessions at a time, both jobs are answered, and no lock is left behind.
func TestOneSessionPerDeviceAcrossWorkers(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": "delay: 200ms"}), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	r.add("r1", "r1", "lab", ping.Params{Target: "10.0.0.1", Count: 3, Timeout: time.Second})
	a, _ := r.startWorker(t, worker.ServiceConfig{ID: "w1", Concurrency: 2})
	b, _ := r.startWorker(t, worker.ServiceConfig{ID: "w2", Concurrency: 2})
	for _, id := range []string{"r1@1", "r1@2"} {
		r.publish(t, r.job(id, "r1", time.Now().Add(time.Minute)))
	}
	waittest.For(t, 30*time.Second, func() error {
		if n := a.Probed() + b.Probed(); n != 2 {
			return fmt.Errorf("%d jobs probed, want 2", n)
		}
		return nil
	})
	if _, most := r.sim.Sessions("r1"); most != 1 {
		t.Errorf("at most %d sessions open at once on r1, want 1", most)
	}
	if n := len(r.sim.AuthAttempts("r1")); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
	if _, err := r.bucket(t).Get(context.Background(), "dc1.session.r1"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("session lock after both jobs: %v, want none", err)
	}
}

// TestSessionLockHeld gives a worker a job for a device whose session lock
// another worker holds: a lease that lapsed (its worker died) is taken
// over at once; a live one, even for the very job (redelivered from a
// worker that stopped), is waited for until it lapses, and when the job's
// deadline passes first the job is dropped as stale without a login.
func TestSessionLockHeld(t *testing.T) {
	tests := []struct {
		name      string
		job       string        // the lock's
		until     time.Duration // the lock's time left, from now
		deadline  time.Duration // the job's, from now
		probed    bool
		logged    string // in the worker's log
		lockAfter bool   // the foreign lock is still there after
	}{
		{"expired", "r1@0", -time.Second, time.Minute, true, "took over the device's session lease, which lapsed", false},
		// Held for this very job by a worker that stopped renewing it an
		// ack wait ago (less than the grace left): taken over, as the job
		// was redelivered.
		{"held for this job", "r1@1", 1500 * time.Millisecond, time.Minute, true, "took over the device's session lease for this job, unrenewed for an ack wait", false},
		// Held for this very job and renewed just now (a live worker):
		// waited for until it has gone unrenewed for an ack wait.
		{"held for this job, renewed", "r1@1", 3 * time.Second, time.Minute, true, "took over the device's session lease for this job, unrenewed for an ack wait", false},
		{"held past the deadline", "r1@0", time.Minute, 2 * time.Second, false, "drop stale job", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newSiteRig(t, fleetOf(map[string]string{"r1": ""}), true)
			r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
			r.add("r1", "r1", "lab")
			kv := r.bucket(t)
			hold := fmt.Sprintf(`{"worker":"w-dead","job":%q,"until":%q}`, tt.job, time.Now().Add(tt.until).Format(time.RFC3339Nano))
			if _, err := kv.Create(context.Background(), "dc1.session.r1", []byte(hold)); err != nil {
				t.Fatal(err)
			}
			svc, logs := r.startWorker(t, worker.ServiceConfig{ID: "w1", AckWait: time.Second})
			r.publish(t, r.job("r1@1", "r1", time.Now().Add(tt.deadline)))
			if tt.probed {
				if res := r.resultOf(t, "r1", "r1@1"); res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
					t.Errorf("result %v %q", res.GetFailure(), res.GetFailureText())
				}
				waittest.For(t, 10*time.Second, counted("jobs probed", svc.Probed, 1))
			} else {
				waittest.For(t, 20*time.Second, counted("stale jobs", svc.Stale, 1))
				if n := len(r.sim.AuthAttempts("r1")); n != 0 {
					t.Errorf("%d logins while another worker held the session, want 0", n)
				}
			}
			if !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("the worker's log lacks %q:\n%s", tt.logged, logs)
			}
			e, err := kv.Get(context.Background(), "dc1.session.r1")
			if still := err == nil && strings.Contains(string(e.Value()), "w-dead"); still != tt.lockAfter {
				t.Errorf("the foreign lock is there after the job: %v (%v), want %v", still, err, tt.lockAfter)
			}
		})
	}
}

// TestSessionLeaseLost: a worker whose session lease is taken from it
// while it probes (as another worker would once a lease lapsed) ends its
// probe at its next renewal and leaves the job to be redelivered, rather
// than keep a session open beside the other's.
func TestSessionLeaseLost(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": "delay: 400ms"}), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	r.add("r1", "r1", "lab", ping.Params{Target: "10.0.0.1", Count: 10, Timeout: time.Second})
	kv := r.bucket(t)
	svc, logs := r.startWorker(t, worker.ServiceConfig{ID: "w1", AckWait: time.Second})
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	waittest.For(t, 10*time.Second, func() error {
		if s, _ := r.sim.Sessions("r1"); s != 1 {
			return fmt.Errorf("%d sessions open on r1, want the worker's", s)
		}
		return nil
	})
	other := fmt.Sprintf(`{"worker":"w2","job":"r1@1","until":%q}`, time.Now().Add(time.Minute).Format(time.RFC3339Nano))
	if _, err := kv.Put(context.Background(), "dc1.session.r1", []byte(other)); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 10*time.Second, func() error {
		if !strings.Contains(logs.String(), "lost the device's session lease") {
			return fmt.Errorf("the worker has not noticed:\n%s", logs)
		}
		if s, _ := r.sim.Sessions("r1"); s != 0 {
			return fmt.Errorf("%d sessions still open on r1", s)
		}
		return nil
	})
	if svc.Probed() != 0 {
		t.Errorf("the job was answered (%d probed) after its session lease was lost", svc.Probed())
	}
	if e, err := kv.Get(context.Background(), "dc1.session.r1"); err != nil || !strings.Contains(string(e.Value()), `"w2"`) {
		t.Errorf("the other worker's lease is gone: %v", err)
	}
}
