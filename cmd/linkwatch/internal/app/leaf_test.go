package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/natsauth/natsauthtest"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/sim"
)

// deployNATS is deploy/nats, whose hub.conf and leaf-site-b.conf the leaf
// tests run.
const deployNATS = "../../../../deploy/nats"

// leafSite is site-b as a remote site runs it: its routers, and the
// configuration of its workers, which connect to the site's leaf node
// and reach the hub's streams in its JetStream domain.
func leafSite(t *testing.T, ctx context.Context, leafURL, seedFile string) (*config.Config, *sim.Server) {
	t.Helper()
	fleet, err := sim.ParseFleet([]byte(`
devices:
  - { name: r1, platform: cisco_iosxe, username: admin, password: leaf-s3cret, targets: { 10.0.0.1: up } }
  - { name: r2, platform: cisco_iosxe, username: admin, password: leaf-s3cret, targets: { 10.0.0.1: up }, delay: 500ms }
`))
	if err != nil {
		t.Fatal(err)
	}
	routers, err := sim.Start(ctx, fleet, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { routers.Close() })
	t.Setenv("LW_LEAF_TEST_PASSWORD", "leaf-s3cret")
	dir := t.TempDir()
	path := filepath.Join(dir, "linkwatch.yaml")
	yaml := fmt.Sprintf(`
data_dir: data
nats: { url: %q, nkey_seed_file: %q, jetstream_domain: %s }
credentials: { lab: { username: admin, password_env: LW_LEAF_TEST_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab, site: site-b }
worker: { ack_wait: 2s }
devices:
  - { name: r1, host: 127.0.0.1, port: %d, targets: [ { address: 10.0.0.1, count: 2, timeout: 1s } ] }
  - { name: r2, host: 127.0.0.1, port: %d, targets: [ { address: 10.0.0.1, count: 4, timeout: 1s } ] }
`, leafURL, seedFile, natsauthtest.Domain, routers.Port("r1"), routers.Port("r2"))
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, routers
}

// TestWorkerThroughLeaf runs site-b's worker as `linkwatch worker` does
// (Connect, Worker), connected to the site's leaf node with
// nats.jetstream_domain, against the hub of deploy/nats/hub.conf, where the
// scheduler and the notifier keep the streams: each job the scheduler
// publishes is probed and its result lands in the hub's results stream,
// and cutting the leaf node's link to the hub loses none. Jobs published
// while it is cut are probed after (one handed to a pull request the
// worker made just before the cut comes back after worker.ack_wait); a
// result the worker has in hand when the link is cut is published again
// until it lands.
func TestWorkerThroughLeaf(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sites := natsauthtest.StartHub(t, deployNATS)
	leaf := sites.StartLeaf(t, nil)
	cfg, routers := leafSite(t, ctx, leaf.ClientURL(), sites.Keys.SeedFile("worker-site-b"))

	// The scheduler and the notifier, on the hub, keep the streams and
	// buckets as they do at start.
	hub := func(role proto.Role) jetstream.JetStream {
		hcfg := natsConfig(sites.Hub.ClientURL(), config.NATS{NkeySeedFile: sites.Keys.SeedFile(role)})
		nc, js, err := Connect(ctx, hcfg, role, nil, nil)
		if err != nil {
			t.Fatalf("%s connects to the hub: %v", role, err)
		}
		t.Cleanup(nc.Close)
		return js
	}
	sched, notif := hub(proto.RoleScheduler), hub(proto.RoleNotifier)

	logs := &waittest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	nc, js, err := Connect(ctx, cfg, "worker-site-b", log, nil)
	if err != nil {
		t.Fatalf("the worker connects to the leaf node: %v", err)
	}
	t.Cleanup(nc.Close)
	w, err := Worker(js, NewLive(cfg), "site-b", "leaf-worker", nil, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker Run: %v", err)
		}
	})

	var ids []string
	publish := func(device string) {
		t.Helper()
		now := time.Now()
		job := &proto.ProbeJob{Id: proto.JobID(device, int64(len(ids))), Device: device, Site: "site-b", Slot: int64(len(ids)),
			ScheduledAt: timestamppb.New(now), Deadline: timestamppb.New(now.Add(time.Minute)), InventoryRevision: cfg.Revision("site-b")}
		data, err := pb.Marshal(job)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sched.Publish(ctx, "linkwatch.jobs.site-b", data, jetstream.WithMsgID(job.GetId())); err != nil {
			t.Fatalf("scheduler publishes %s: %v", job.GetId(), err)
		}
		ids = append(ids, job.GetId())
	}
	count := func(js jetstream.JetStream, stream string) uint64 {
		t.Helper()
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	waitResults := func(n uint64) {
		t.Helper()
		waittest.For(t, 30*time.Second, func() error {
			if got := count(notif, proto.StreamResults); got != n {
				return fmt.Errorf("%d results in the hub's stream, want %d; worker log:\n%s", got, n, logs.String())
			}
			return nil
		})
	}

	// Jobs reach the worker through the leaf node, results come back.
	publish("r1")
	waitResults(1)

	// r2's probe takes two seconds: cut the link once the worker logged in
	// to r2, so that the result is in hand while the hub is out of reach.
	publish("r2")
	waittest.For(t, 10*time.Second, func() error {
		if len(routers.AuthAttempts("r2")) == 0 {
			return fmt.Errorf("the worker has not logged in to r2 yet; worker log:\n%s", logs.String())
		}
		return nil
	})
	sites.Link.Cut()
	sites.WaitLeaves(t, 0)
	publish("r1")
	publish("r1")
	if got := count(sched, proto.StreamJobs); got != 3 {
		t.Errorf("%d jobs in the hub's stream while the link is cut, want 3 (r2's in progress and two new)", got)
	}
	waittest.For(t, 10*time.Second, func() error {
		if !strings.Contains(logs.String(), "publish result; retrying") {
			return fmt.Errorf("the worker has not yet failed to publish r2's result; worker log:\n%s", logs.String())
		}
		return nil
	})
	if got := count(notif, proto.StreamResults); got != 1 {
		t.Errorf("%d results in the hub's stream while the link is cut, want 1", got)
	}
	sites.Link.Restore()
	sites.WaitLeaves(t, 1)
	waitResults(uint64(len(ids)))
	waittest.For(t, 10*time.Second, func() error {
		if got := count(sched, proto.StreamJobs); got != 0 {
			return fmt.Errorf("%d jobs still in the hub's stream, want none (all acked)", got)
		}
		return nil
	})

	// Each job has its one result, from this worker, every link UP.
	cons, err := notif.CreateOrUpdateConsumer(ctx, proto.StreamResults, jetstream.ConsumerConfig{
		Durable: proto.NotifierConsumer, FilterSubject: proto.ResultsAll, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(len(ids) + 1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for m := range batch.Messages() {
		var res proto.ProbeResult
		if err := pb.Unmarshal(m.Data(), &res); err != nil {
			t.Fatal(err)
		}
		got[res.GetJobId()]++
		if res.GetWorker() != "leaf-worker" || res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED || len(res.GetLinks()) != 1 ||
			res.GetLinks()[0].GetStatus() != proto.LinkStatus_LINK_STATUS_UP {
			t.Errorf("result of %s: worker %q, failure %v, links %v; want leaf-worker's, every link UP", res.GetJobId(),
				res.GetWorker(), res.GetFailure(), res.GetLinks())
		}
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("job %s has %d results, want 1 (results: %v)", id, got[id], got)
		}
	}
}
