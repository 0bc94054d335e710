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

// TestPersistentForwardRefused: a holder that keeps its lease but refuses
// every forwarded job ("busy") has the job given back to the queue after
// a few tries, and forwarded again when it comes back, rather than left
// waiting for a lease that does not lapse; once the lease is gone, the job
// is probed.
func TestPersistentForwardRefused(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	subject, err := proto.SessionSubject("dc1", "ghost")
	if err != nil {
		t.Fatal(err)
	}
	var asked atomic.Int64
	sub, err := r.js.Conn().Subscribe(subject, func(m *nats.Msg) {
		asked.Add(1)
		_ = m.RespondMsg(&nats.Msg{Header: nats.Header{"Linkwatch-Error": []string{"busy"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	key, _ := proto.SessionKey("dc1", "r1")
	lease, _ := json.Marshal(map[string]any{"worker": "ghost", "job": "r1@0", "until": time.Now().Add(time.Hour),
		"persistent": true, "subject": subject})
	kv := r.bucket(t)
	if _, err := kv.Put(context.Background(), key, lease); err != nil {
		t.Fatal(err)
	}
	_, _, _ = r.runWorker(t, r.js, persistCfg("w1"))
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	// Three refusals, back to the queue, and forwarded again.
	waittest.For(t, 15*time.Second, func() error {
		if n := asked.Load(); n < 6 {
			return fmt.Errorf("the holder was asked %d times, want at least 6", n)
		}
		return nil
	})
	if n := len(r.sim.AuthAttempts("r1")); n != 0 {
		t.Fatalf("%d logins tried while another worker held r1's session", n)
	}
	if err := kv.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	r.wantResult(t, "r1", "r1@1")
}
