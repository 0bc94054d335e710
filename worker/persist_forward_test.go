package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
)

// perProbe is r's inventory with every device per-probe.
func (r *siteRig) perProbe() *worker.Inventory {
	inv := &worker.Inventory{Site: r.inv.Site, Revision: r.inv.Revision, Devices: map[string]worker.Device{}}
	for name, d := range r.inv.Devices {
		d.Persistent = false
		inv.Devices[name] = d
	}
	return inv
}

// waitJobRequests waits until n workers wait for jobs of the site, so that
// the jobs published next are split between them.
func (r *siteRig) waitJobRequests(t *testing.T, n int) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		c, err := r.js.Consumer(context.Background(), proto.StreamJobs, "worker-dc1")
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumWaiting < n {
			return fmt.Errorf("%d requests for jobs waiting, want %d", info.NumWaiting, n)
		}
		return nil
	})
}

// TestPersistentForwardedFromPerProbe: a worker whose inventory says r1 is
// per-probe (in the middle of a rolling reload) still forwards r1's jobs
// to the worker holding r1's persistent session, which keeps renewing its
// lease: the jobs are answered, not left to go stale.
func TestPersistentForwardedFromPerProbe(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	w1, _, _ := r.runWorker(t, r.js, persistCfg("w1"))
	r.publish(t, r.job("r1@0", "r1", time.Now().Add(time.Minute)))
	r.wantResult(t, "r1", "r1@0")
	cfg := persistCfg("w2")
	inv := r.perProbe()
	cfg.Inventory = func() *worker.Inventory { return inv }
	w2, _, _ := r.runWorker(t, r.js, cfg)
	r.waitJobRequests(t, 2)
	const jobs = 6
	for i := 1; i <= jobs; i++ {
		r.publish(t, r.job(fmt.Sprintf("r1@%d", i), "r1", time.Now().Add(15*time.Second)))
	}
	waittest.For(t, 20*time.Second, func() error {
		if p := w1.Probed() + w2.Probed(); p != jobs+1 {
			return fmt.Errorf("%d jobs probed, want %d", p, jobs+1)
		}
		return nil
	})
	if w2.Probed() == 0 {
		t.Fatal("w2 probed no job: the jobs were not split")
	}
	if n := logins(r.sim, "r1"); n != 1 {
		t.Errorf("%d logins, want 1: w2's jobs go over w1's session", n)
	}
	if _, most := r.sim.Sessions("r1"); most != 1 {
		t.Errorf("r1 had %d sessions at once, want 1", most)
	}
}

// ghostHolder puts a persistent lease on device's session in the hands of
// worker "ghost" for an hour, answering on its session subject with
// answer; it returns how many jobs were forwarded to it, and the lease's
// key.
func (r *siteRig) ghostHolder(t *testing.T, device string, answer func(*nats.Msg)) (*atomic.Int64, string) {
	t.Helper()
	subject, err := proto.SessionSubject("dc1", "ghost")
	if err != nil {
		t.Fatal(err)
	}
	asked := &atomic.Int64{}
	sub, err := r.js.Conn().Subscribe(subject, func(m *nats.Msg) {
		asked.Add(1)
		answer(m)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	key, _ := proto.SessionKey("dc1", device)
	lease, _ := json.Marshal(map[string]any{"worker": "ghost", "job": device + "@0", "until": time.Now().Add(time.Hour),
		"persistent": true, "subject": subject})
	if _, err := r.bucket(t).Put(context.Background(), key, lease); err != nil {
		t.Fatal(err)
	}
	return asked, key
}

// waitAsked waits until a ghost holder was forwarded n jobs.
func waitAsked(t *testing.T, asked *atomic.Int64, n int64) {
	t.Helper()
	waittest.For(t, 15*time.Second, func() error {
		if got := asked.Load(); got < n {
			return fmt.Errorf("the holder was asked %d times, want at least %d", got, n)
		}
		return nil
	})
}

// TestPersistentForwardDeadline: a job forwarded to a holder that never
// answers is dropped as stale at its deadline, not after a whole probe's
// budget of waiting.
func TestPersistentForwardDeadline(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	asked, _ := r.ghostHolder(t, "r1", func(*nats.Msg) {})
	w1, _, _ := r.runWorker(t, r.js, persistCfg("w1"))
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Second)))
	// A probe's budget is well over 10 s: the forward waited for the
	// deadline, not for it.
	waittest.For(t, 5*time.Second, func() error {
		if w1.Stale() != 1 {
			return fmt.Errorf("%d jobs dropped as stale, want 1 (holder asked %d times)", w1.Stale(), asked.Load())
		}
		return nil
	})
	if asked.Load() == 0 {
		t.Error("the job was not forwarded to the holder")
	}
}

// TestPersistentForwardRefused: a holder that keeps its lease but refuses
// every forwarded job ("busy") has the job given back to the queue after
// a few tries, and forwarded again when it comes back, rather than left
// waiting for a lease that does not lapse; once the lease is gone, the job
// is probed.
func TestPersistentForwardRefused(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	asked, key := r.ghostHolder(t, "r1", func(m *nats.Msg) {
		_ = m.RespondMsg(&nats.Msg{Header: nats.Header{"Linkwatch-Error": []string{"busy"}}})
	})
	kv := r.bucket(t)
	_, _, _ = r.runWorker(t, r.js, persistCfg("w1"))
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	// Three refusals, back to the queue, and forwarded again.
	waitAsked(t, asked, 6)
	if n := len(r.sim.AuthAttempts("r1")); n != 0 {
		t.Fatalf("%d logins tried while another worker held r1's session", n)
	}
	if err := kv.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	r.wantResult(t, "r1", "r1@1")
}
