package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
)

// TestQuietSiteWorkersTakeTurns starts a worker of a quiet site (fewer
// jobs come within one pull's wait than it has pulls waiting), then a
// second one: the second takes jobs too, rather than queuing behind the
// first's pulls for good.
func TestQuietSiteWorkersTakeTurns(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": ""}), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	r.add("r1", "r1", "lab")
	const pullWait = 2 * time.Second
	first, _ := r.startWorker(t, worker.ServiceConfig{ID: "w1", Concurrency: 4, PullWait: pullWait})
	r.publish(t, r.job("r1@0", "r1", time.Now().Add(time.Minute)))
	waittest.For(t, 10*time.Second, counted("jobs probed by the first worker", first.Probed, 1))
	second, _ := r.startWorker(t, worker.ServiceConfig{ID: "w2", Concurrency: 4, PullWait: pullWait})
	// A job every 0.6 s: about three per pull wait, fewer than each
	// worker's four pulls.
	tick := time.NewTicker(600 * time.Millisecond)
	defer tick.Stop()
	const jobs = 30
	for n := 1; n <= jobs; n++ {
		<-tick.C
		r.publish(t, r.job(fmt.Sprintf("r1@%d", n), "r1", time.Now().Add(time.Minute)))
		if first.Probed() >= 3 && second.Probed() >= 3 {
			t.Logf("after %d jobs: the first worker probed %d, the second %d", n, first.Probed(), second.Probed())
			return
		}
	}
	t.Errorf("after %d jobs the first worker probed %d, the second %d: each should have had some", jobs, first.Probed(), second.Probed())
}

// TestWorkerRebindsAGoneConsumer deletes the site's consumer under a
// running worker (as recreating the jobs stream does): the worker binds
// it again and takes the next job, rather than pulling from nothing.
func TestWorkerRebindsAGoneConsumer(t *testing.T) {
	r := newSiteRig(t, fleetOf(map[string]string{"r1": ""}), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: "right-pw"}
	r.add("r1", "r1", "lab")
	w, logs := r.startWorker(t, worker.ServiceConfig{ID: "w1", Concurrency: 3, PullWait: 2 * time.Second})
	waittest.For(t, 10*time.Second, w.Ready)
	durable, _ := proto.WorkerConsumer("dc1")
	if err := r.js.DeleteConsumer(context.Background(), proto.StreamJobs, durable); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 20*time.Second, func() error {
		if !strings.Contains(logs.String(), "the site's job consumer is gone; binding it again") {
			return fmt.Errorf("the worker has not noticed its consumer is gone:\n%s", logs.String())
		}
		return w.Ready()
	})
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	waittest.For(t, 20*time.Second, counted("jobs probed after the consumer came back", w.Probed, 1))
}
