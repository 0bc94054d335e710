package worker_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/sim"
)

// hangJS is a worker's JetStream whose login bucket, once hang is set,
// never answers an update: the call hangs, whatever its context, until
// unblock is closed (a bus that stopped answering one worker). It counts
// the reads of keys in counted.
type hangJS struct {
	jetstream.JetStream
	hang    atomic.Bool
	unblock chan struct{}
	once    sync.Once
	counted map[string]bool // set before the worker starts
	reads   atomic.Int64
}

func newHangJS(js jetstream.JetStream) *hangJS {
	return &hangJS{JetStream: js, unblock: make(chan struct{})}
}

// release lets every hung update return (an error) from now on.
func (h *hangJS) release() { h.once.Do(func() { close(h.unblock) }) }

func (h *hangJS) KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error) {
	kv, err := h.JetStream.KeyValue(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return hangKV{KeyValue: kv, js: h}, nil
}

type hangKV struct {
	jetstream.KeyValue
	js *hangJS
}

func (k hangKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	if k.js.counted[key] {
		k.js.reads.Add(1)
	}
	return k.KeyValue.Get(ctx, key)
}

func (k hangKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	if k.js.hang.Load() {
		<-k.js.unblock
		return 0, fmt.Errorf("update %s: the bus did not answer", key)
	}
	return k.KeyValue.Update(ctx, key, value, revision)
}

// TestPersistentNoOverlap: the worker holding r1's persistent session
// finds its lease renewals hanging, while the site's other worker runs
// throughout and gets r1's jobs. The holder must close its session before
// its lease may lapse, so the device never sees two sessions at once; the
// other worker then takes r1 over.
func TestPersistentNoOverlap(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 1)
	js1 := newHangJS(r.js)
	_, _, stop1 := r.runWorker(t, js1, persistCfg("w1"))
	t.Cleanup(js1.release) // runs before the worker stops
	r.publish(t, r.job("r1@1", "r1", time.Now().Add(time.Minute)))
	if res := r.wantResult(t, "r1", "r1@1"); res.GetWorker() != "w1" {
		t.Fatalf("job r1@1 probed by %s, want w1", res.GetWorker())
	}
	w2, _, _ := r.runWorker(t, r.js, persistCfg("w2"))
	js1.hang.Store(true)
	key, _ := proto.SessionKey("dc1", "r1")
	i, last := 2, time.Time{}
	waittest.For(t, 30*time.Second, func() error {
		if h, ok := r.hold(t, key); ok && h.Worker == "w2" && w2.Probed() > 0 && logins(r.sim, "r1") == 2 {
			return nil
		}
		if time.Since(last) >= 500*time.Millisecond { // a job now and then, for w2 (or w1) to probe
			r.publish(t, r.job(fmt.Sprintf("r1@%d", i), "r1", time.Now().Add(time.Minute)))
			i, last = i+1, time.Now()
		}
		return fmt.Errorf("w2 has not taken r1's session over (%d logins)", logins(r.sim, "r1"))
	})
	if _, most := r.sim.Sessions("r1"); most != 1 {
		t.Errorf("r1 had %d sessions at once, want 1: the holder's session outlived its lease", most)
	}
	js1.release()
	stop1()
}

// TestPersistentReloginPaused: five persistent devices share credential
// lab, whose password the devices change (the AAA server's) and whose
// sessions they drop. Each replaced session's fresh login counts as any
// login: after pause_after devices refused it the credential is paused,
// and no further login reaches a device, on a replaced session or a new
// one.
func TestPersistentReloginPaused(t *testing.T) {
	noLeak(t)
	const n = 5
	r := persistRig(t, n)
	cfg := persistCfg("w1")
	cfg.Sessions.KeepAlive = time.Hour // the probe finds each session dropped, not the keepalive
	cfg.Logins = worker.LoginPolicy{PauseAfter: 3, Within: time.Minute, PauseFor: time.Hour}
	_, _, _ = r.runWorker(t, r.js, cfg)
	round := func(k int) {
		for i := 1; i <= n; i++ {
			r.publish(t, r.job(fmt.Sprintf("r%d@%d", i, k), fmt.Sprintf("r%d", i), time.Now().Add(time.Minute)))
		}
	}
	round(1)
	for i := 1; i <= n; i++ {
		r.wantResult(t, fmt.Sprintf("r%d", i), fmt.Sprintf("r%d@1", i))
	}
	fleet, err := sim.ParseFleet([]byte(persistFleetOf(n, "changed-pw")))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sim.Reload(fleet); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("r%d", i)
		before[name] = len(r.sim.AuthAttempts(name))
		if r.sim.Disconnect(name) != 1 {
			t.Fatalf("%s: no session to drop", name)
		}
	}
	tried := func() int {
		k := 0
		for name, b := range before {
			if len(r.sim.AuthAttempts(name)) > b {
				k++
			}
		}
		return k
	}
	for k := 2; k <= 3; k++ {
		round(k)
		paused := 0
		for i := 1; i <= n; i++ {
			res := r.resultOf(t, fmt.Sprintf("r%d", i), fmt.Sprintf("r%d@%d", i, k))
			if res.GetFailure() != proto.FailureKind_FAILURE_KIND_AUTH_FAILED {
				t.Fatalf("round %d, r%d: failure %v (%s), want AUTH_FAILED", k, i, res.GetFailure(), res.GetFailureText())
			}
			if strings.Contains(res.GetFailureText(), "is paused") {
				paused++
			}
		}
		if want := map[int]int{2: n - 3, 3: n}[k]; paused != want {
			t.Errorf("round %d: %d devices answered paused, want %d", k, paused, want)
		}
		if got := tried(); got != 3 {
			t.Errorf("round %d: %d devices were sent the changed credential, want 3 (pause_after)", k, got)
		}
	}
}

// TestPersistentCapRemembered: with the site's one slot taken, a worker
// probing another persistent device per-probe does not read the slots
// again for each probe, until a keepalive period has passed.
func TestPersistentCapRemembered(t *testing.T) {
	noLeak(t)
	r := persistRig(t, 2)
	js := newHangJS(r.js)
	slot, _ := proto.SlotKey("dc1", 0)
	js.counted = map[string]bool{slot: true}
	cfg := persistCfg("w1")
	cfg.PersistentPerSite = 1
	cfg.Sessions.KeepAlive = time.Hour
	_, _, _ = r.runWorker(t, js, cfg)
	r.publish(t, r.job("r1@0", "r1", time.Now().Add(time.Minute)))
	r.wantResult(t, "r1", "r1@0")
	reads := js.reads.Load()
	for i := range 4 {
		id := fmt.Sprintf("r2@%d", i)
		r.publish(t, r.job(id, "r2", time.Now().Add(time.Minute)))
		r.wantResult(t, "r2", id)
	}
	if got := js.reads.Load() - reads; got != 1 {
		t.Errorf("the slot was read %d times for 4 probes with the cap full, want once", got)
	}
	if n := logins(r.sim, "r2"); n != 4 {
		t.Errorf("r2: %d logins, want 4 (per-probe)", n)
	}
}
