package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// siteRig is site dc1 as its workers see it: an embedded NATS server, a
// simulated fleet, the site's inventory and its credentials. Workers of
// the site start with startWorker, and stop when the test ends.
type siteRig struct {
	js    jetstream.JetStream
	sim   *sim.Server
	inv   *worker.Inventory
	creds map[string]worker.Login
}

// newSiteRig serves fleet (a fleet file) and starts a NATS server. With
// ready, the streams and the shared buckets exist, as the scheduler makes
// them; without, a test makes them when it wants.
func newSiteRig(t *testing.T, fleet string, ready bool) *siteRig {
	t.Helper()
	r := &siteRig{js: localnatstest.JetStream(t), sim: simtest.Start(t, fleet), creds: map[string]worker.Login{},
		inv: &worker.Inventory{Site: "dc1", Revision: "rev-1", Devices: map[string]worker.Device{}}}
	if ready {
		r.ready(t)
	}
	return r
}

// ready makes the streams and the shared buckets, as the scheduler does.
func (r *siteRig) ready(t *testing.T) {
	t.Helper()
	if err := proto.EnsureStreams(context.Background(), r.js, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	if err := proto.EnsureBuckets(context.Background(), r.js, 1); err != nil {
		t.Fatal(err)
	}
}

// add puts a device into the inventory: the simulated device sim (its
// port), or, with sim "", a device with no port that nothing serves.
func (r *siteRig) add(name, sim, credential string, targets ...ping.Params) {
	port := 0
	if sim != "" {
		port = r.sim.Port(sim)
	}
	if len(targets) == 0 {
		targets = []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}
	}
	r.inv.Devices[name] = worker.Device{Name: name, Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe",
		Credential: credential, Targets: targets}
}

// credentials resolves the rig's credentials.
func (r *siteRig) credentials(name string) (worker.Login, error) {
	l, ok := r.creds[name]
	if !ok {
		return worker.Login{}, errors.New("no such credential")
	}
	return l, nil
}

// startWorker runs a worker of dc1 with cfg, whose site, inventory and
// credentials are the rig's (and, unless cfg gives one, a prober that
// accepts any host key), until the test ends; its log, warnings and
// up, goes to the returned buffer.
func (r *siteRig) startWorker(t *testing.T, cfg worker.ServiceConfig) (*worker.Service, *logBuffer) {
	t.Helper()
	svc, logs, _ := r.runWorker(t, r.js, cfg)
	return svc, logs
}

// runWorker is startWorker on js, a connection of the worker's own, and
// also returns what stops it (at once, waiting for Run to return). The
// worker's inventory is cfg's when it gives one.
func (r *siteRig) runWorker(t *testing.T, js jetstream.JetStream, cfg worker.ServiceConfig) (*worker.Service, *logBuffer, func()) {
	t.Helper()
	logs := &logBuffer{}
	cfg.Site, cfg.Credentials = "dc1", r.credentials
	if cfg.Inventory == nil {
		cfg.Inventory = func() *worker.Inventory { return r.inv }
	}
	if cfg.Prober == nil {
		cfg.Prober = &worker.Prober{HostKeys: worker.InsecureHostKeys{}}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	svc, err := worker.NewService(js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker %s Run: %v", cfg.ID, err)
			}
		})
	}
	t.Cleanup(stop)
	return svc, logs, stop
}

// job is a job of site dc1 for device, with the rig's inventory revision.
func (r *siteRig) job(id, device string, deadline time.Time) *proto.ProbeJob {
	return &proto.ProbeJob{Id: id, Device: device, Site: "dc1", Deadline: timestamppb.New(deadline),
		ScheduledAt: timestamppb.New(deadline.Add(-time.Minute)), InventoryRevision: r.inv.Revision}
}

func (r *siteRig) publish(t *testing.T, job *proto.ProbeJob) {
	t.Helper()
	data, err := pb.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	r.publishRaw(t, job.GetSite(), job.GetId(), data)
}

// publishRaw publishes encoded job bytes on site's job subject.
func (r *siteRig) publishRaw(t *testing.T, site, id string, data []byte) {
	t.Helper()
	r.noSecret(t, "the job", data)
	subject, _ := proto.JobSubject(site)
	if _, err := r.js.Publish(context.Background(), subject, data, jetstream.WithMsgID(id)); err != nil {
		t.Fatal(err)
	}
}

// noSecret fails the test when data holds a password of the rig.
func (r *siteRig) noSecret(t *testing.T, what string, data []byte) {
	t.Helper()
	for name, l := range r.creds {
		if bytes.Contains(data, []byte(l.Password)) {
			t.Fatalf("%s holds the password of credential %s", what, name)
		}
	}
}

// resultOf waits for the result of job id of device on the results
// stream.
func (r *siteRig) resultOf(t *testing.T, device, id string) *proto.ProbeResult {
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
		r.noSecret(t, "the result", m.Data)
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

// consumer is the site consumer's state.
func (r *siteRig) consumer(t *testing.T) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := r.js.Consumer(context.Background(), proto.StreamJobs, "worker-dc1")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
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

// bucket is the login bucket, as the test may read and write any key.
func (r *siteRig) bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	kv, err := r.js.KeyValue(context.Background(), proto.LoginBucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}
