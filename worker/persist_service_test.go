package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
)

// persistRig is site dc1 with devices r1..rN, all persistent, served by
// the simulator, each pinging one target that is up.
func persistRig(t *testing.T, n int) *siteRig {
	t.Helper()
	r := newSiteRig(t, persistFleetOf(n, password), true)
	r.creds["lab"] = worker.Login{Username: "admin", Password: password}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("r%d", i)
		r.add(name, name, "lab")
		d := r.inv.Devices[name]
		d.Persistent = true
		d.Targets = append(d.Targets, d.Targets[0])
		d.Targets[1].Target = "10.0.0.2"
		r.inv.Devices[name] = d
	}
	return r
}

// persistFleetOf is the fleet of persistRig, its devices' password pw.
func persistFleetOf(n int, pw string) string {
	var f strings.Builder
	f.WriteString("devices:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&f, "  - { name: r%d, platform: cisco_iosxe, username: admin, password: %s, targets: { 10.0.0.1: up, 10.0.0.2: down } }\n", i, pw)
	}
	return f.String()
}

// persistCfg is a worker's configuration for the persistent tests: a
// short ack wait, so that a lease lapses soon, and keepalives often.
func persistCfg(id string) worker.ServiceConfig {
	return worker.ServiceConfig{ID: id, Concurrency: 1, AckWait: 3 * time.Second,
		Sessions: worker.SessionsConfig{KeepAlive: 200 * time.Millisecond}}
}

// wantResult waits for job id's result and fails unless r1's links are UP
// then DOWN.
func (r *siteRig) wantResult(t *testing.T, device, id string) *proto.ProbeResult {
	t.Helper()
	res := r.resultOf(t, device, id)
	if res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED || len(res.GetLinks()) != 2 ||
		res.GetLinks()[0].GetStatus() != proto.LinkStatus_LINK_STATUS_UP || res.GetLinks()[1].GetStatus() != proto.LinkStatus_LINK_STATUS_DOWN {
		t.Fatalf("job %s: failure %v (%s), links %v; want UP and DOWN", id, res.GetFailure(), res.GetFailureText(), res.GetLinks())
	}
	return res
}

// hold reads a lease or slot record of the login bucket; ok false when
// there is none.
func (r *siteRig) hold(t *testing.T, key string) (h struct {
	Worker     string `json:"worker"`
	Job        string `json:"job"`
	Persistent bool   `json:"persistent"`
}, ok bool) {
	t.Helper()
	e, err := r.bucket(t).Get(context.Background(), key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return h, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Value(), &h); err != nil {
		t.Fatal(err)
	}
	return h, true
}

// noHold is a condition: key has no record.
func (r *siteRig) noHold(t *testing.T, key string) func() error {
	return func() error {
		if h, ok := r.hold(t, key); ok {
			return fmt.Errorf("%s is held by %s", key, h.Worker)
		}
		return nil
	}
}

// sessionsOpen is a condition: the simulator has n sessions open on device.
func (r *siteRig) sessionsOpen(device string, n int) func() error {
	return func() error {
		if open, _ := r.sim.Sessions(device); open != n {
			return fmt.Errorf("%d sessions open on %s, want %d", open, device, n)
		}
		return nil
	}
}

func TestPersistentServiceOneLogin(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	_, _, stop := r.runWorker(t, r.js, persistCfg("w1"))
	for i := range 4 {
		id := fmt.Sprintf("r1@%d", i)
		r.publish(t, r.job(id, "r1", time.Now().Add(time.Minute)))
		r.wantResult(t, "r1", id)
	}
	if n := logins(r.sim, "r1"); n != 1 {
		t.Errorf("%d logins for 4 jobs, want 1", n)
	}
	key, _ := proto.SessionKey("dc1", "r1")
	if h, ok := r.hold(t, key); !ok || h.Worker != "w1" || !h.Persistent {
		t.Errorf("session lease %+v (held %v), want w1's, persistent", h, ok)
	}
	// Shutdown closes the session and gives back the lease and the slot.
	stop()
	waittest.For(t, 5*time.Second, r.sessionsOpen("r1", 0))
	waittest.For(t, 5*time.Second, r.noHold(t, key))
	for n := range worker.DefaultPersistentPerSite {
		slot, _ := proto.SlotKey("dc1", n)
		waittest.For(t, 5*time.Second, r.noHold(t, slot))
	}
}

// TestPersistentForwarded: two workers of the site split r1's jobs; the
// one that does not hold r1's session forwards its jobs to the one that
// does, so r1 never has two sessions and sees one login.
func TestPersistentForwarded(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	w1, _, _ := r.runWorker(t, r.js, persistCfg("w1"))
	w2, _, _ := r.runWorker(t, r.js, persistCfg("w2"))
	// Both workers wait for a job before any is published, so the first
	// two go one to each.
	r.waitJobRequests(t, 2)
	const jobs = 6
	for i := range jobs {
		r.publish(t, r.job(fmt.Sprintf("r1@%d", i), "r1", time.Now().Add(time.Minute)))
	}
	waittest.For(t, 20*time.Second, func() error {
		if p := w1.Probed() + w2.Probed(); p != jobs {
			return fmt.Errorf("%d jobs probed, want %d", p, jobs)
		}
		return nil
	})
	if w1.Probed() == 0 || w2.Probed() == 0 {
		t.Fatalf("w1 probed %d jobs and w2 %d: the jobs were not split", w1.Probed(), w2.Probed())
	}
	r.allResults(t, "r1", jobs)
	if n := logins(r.sim, "r1"); n != 1 {
		t.Errorf("%d logins, want 1: the second worker's jobs went over the first one's session", n)
	}
	if _, most := r.sim.Sessions("r1"); most != 1 {
		t.Errorf("r1 had %d sessions at once, want 1", most)
	}
}

// allResults fails unless the results stream holds n results for device,
// each reached with links UP and DOWN.
func (r *siteRig) allResults(t *testing.T, device string, n int) {
	t.Helper()
	stream, err := r.js.Stream(context.Background(), proto.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background(), jetstream.WithSubjectFilter("linkwatch.results.dc1."+device))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.State.Subjects["linkwatch.results.dc1."+device]; got != uint64(n) {
		t.Fatalf("%d results for %s, want %d", got, device, n)
	}
	cons, err := stream.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{FilterSubjects: []string{"linkwatch.results.dc1." + device}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		var res proto.ProbeResult
		if err := pb.Unmarshal(m.Data(), &res); err != nil {
			t.Fatal(err)
		}
		if res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED || len(res.GetLinks()) != 2 ||
			res.GetLinks()[0].GetStatus() != proto.LinkStatus_LINK_STATUS_UP || res.GetLinks()[1].GetStatus() != proto.LinkStatus_LINK_STATUS_DOWN {
			t.Errorf("job %s: failure %v (%s), links %v; want UP and DOWN", res.GetJobId(), res.GetFailure(), res.GetFailureText(), res.GetLinks())
		}
	}
}

// TestPersistentCap: with a cap of 2 over two workers and 5 persistent
// devices, 2 sessions stay open; the other devices are probed per-probe,
// and every result is right.
func TestPersistentCap(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 5)
	cfg := func(id string) worker.ServiceConfig {
		c := persistCfg(id)
		c.PersistentPerSite, c.Concurrency = 2, 3
		return c
	}
	_, log1, _ := r.runWorker(t, r.js, cfg("w1"))
	_, log2, _ := r.runWorker(t, r.js, cfg("w2"))
	for round := range 3 {
		for i := 1; i <= 5; i++ {
			r.publish(t, r.job(fmt.Sprintf("r%d@%d", i, round), fmt.Sprintf("r%d", i), time.Now().Add(time.Minute)))
		}
		for i := 1; i <= 5; i++ {
			r.wantResult(t, fmt.Sprintf("r%d", i), fmt.Sprintf("r%d@%d", i, round))
		}
		waittest.For(t, 10*time.Second, func() error {
			if open, _ := r.sim.FleetSessions(); open != 2 {
				return fmt.Errorf("round %d: %d sessions open, want the cap, 2", round, open)
			}
			return nil
		})
	}
	held := 0
	for i := 1; i <= 5; i++ {
		if _, most := r.sim.Sessions(fmt.Sprintf("r%d", i)); most > 1 {
			t.Errorf("r%d had %d sessions at once", i, most)
		}
		if logins(r.sim, fmt.Sprintf("r%d", i)) == 1 {
			held++
		}
	}
	if held != 2 {
		t.Errorf("%d devices logged in once for 3 rounds, want 2 (the cap)", held)
	}
	if !strings.Contains(log1.String()+log2.String(), "every slot for persistent sessions of the site is taken") {
		t.Errorf("no worker said the cap was reached:\n%s\n%s", log1, log2)
	}
}

// TestPersistentTakeover: a worker that loses the bus without releasing
// anything closes its session once its lease may have lapsed, and another
// worker takes the device over; never two sessions at once.
func TestPersistentTakeover(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	nc, err := nats.Connect(r.js.Conn().ConnectedUrl())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js1, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _ = r.runWorker(t, js1, persistCfg("w1"))
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	if res := r.wantResult(t, "r1", "r1@1"); res.GetWorker() != "w1" {
		t.Fatalf("job r1@1 probed by %s, want w1", res.GetWorker())
	}
	nc.Close() // w1 is cut off: it cannot release, nor renew
	waittest.For(t, 10*time.Second, r.sessionsOpen("r1", 0))
	_, _, _ = r.runWorker(t, r.js, persistCfg("w2"))
	r.publish(t, r.job("r1@2", "r1", time.Now().Add(time.Minute)))
	if res := r.wantResult(t, "r1", "r1@2"); res.GetWorker() != "w2" {
		t.Fatalf("job r1@2 probed by %s, want w2", res.GetWorker())
	}
	key, _ := proto.SessionKey("dc1", "r1")
	if h, ok := r.hold(t, key); !ok || h.Worker != "w2" || !h.Persistent {
		t.Errorf("session lease %+v (held %v), want w2's, persistent", h, ok)
	}
	if _, most := r.sim.Sessions("r1"); most != 1 {
		t.Errorf("r1 had %d sessions at once, want 1", most)
	}
}

// TestPersistentReload: a device set back to per-probe on reload has its
// session closed and its lease and slot given back, without a job.
func TestPersistentReload(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	var inv atomic.Pointer[worker.Inventory]
	inv.Store(r.inv)
	cfg := persistCfg("w1")
	cfg.Inventory = inv.Load
	_, _, _ = r.runWorker(t, r.js, cfg)
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	r.wantResult(t, "r1", "r1@1")
	waittest.For(t, 5*time.Second, r.sessionsOpen("r1", 1))
	next := r.perProbe()
	next.Revision = "rev-2"
	inv.Store(next)
	key, _ := proto.SessionKey("dc1", "r1")
	waittest.For(t, 5*time.Second, r.sessionsOpen("r1", 0))
	waittest.For(t, 5*time.Second, r.noHold(t, key))
	r.publish(t, r.job("r1@2", "r1", time.Now().Add(time.Minute)))
	r.wantResult(t, "r1", "r1@2")
	waittest.For(t, 5*time.Second, r.sessionsOpen("r1", 0))
	if n := logins(r.sim, "r1"); n != 2 {
		t.Errorf("%d logins, want 2: the persistent session, then a per-probe one", n)
	}
}
