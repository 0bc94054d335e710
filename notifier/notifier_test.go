package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	pb "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/mail"
	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// rig is a notifier running against an embedded NATS server, the embedded
// store (or Redis) and an in-process SMTP server with STARTTLS and AUTH.
type rig struct {
	srv       *localnats.Server
	js        jetstream.JetStream
	nc        *nats.Conn
	st        state.Store
	smtp      *smtptest.Server
	groupWait time.Duration
	// notifierStore is st as the notifiers see it.
	notifierStore state.Store
	clock         time.Time
	last          map[string]time.Time // check time of each device's newest result
	seq           int                  // makes every job id unique, so none is deduplicated
	// reg holds the metrics that every notifier replica of the rig counts
	// into.
	reg     *prometheus.Registry
	metrics *notifier.Metrics
	// flap is the flap rule of the rig's notifiers (off when zero).
	flap state.Flap
	// routes and idlePoll are the notifiers' (nil and 0: the defaults).
	routes   *route.Table
	idlePoll time.Duration
	// configure, when set, changes each notifier's configuration before
	// it starts; notifiers are the replicas started, in order.
	configure func(*notifier.Config)
	notifiers []*notifier.Notifier
}

func newRig(t *testing.T, groupWait time.Duration) *rig {
	return newRigWith(t, groupWait, nil)
}

// newFlapRig is newRig with notifiers that apply the flap rule f.
func newFlapRig(t *testing.T, f state.Flap) *rig {
	return newRigWith(t, 0, nil, f)
}

// newRigWith is newRig with the notifier's view of the store wrapped by
// wrap (nil: none), to inject store failures.
func newRigWith(t *testing.T, groupWait time.Duration, wrap func(state.Store) state.Store, flap ...state.Flap) *rig {
	t.Helper()
	o := rigOptions{groupWait: groupWait, wrap: wrap}
	if len(flap) > 0 {
		o.flap = flap[0]
	}
	r := newRigOf(t, o)
	r.startNotifier(t)
	return r
}

// rigOptions change a rig from its defaults: the embedded store and
// notifiers routing every alert to noc@example.net.
type rigOptions struct {
	groupWait time.Duration
	// wrap wraps the notifiers' view of the store, to inject failures.
	wrap func(state.Store) state.Store
	// redis keeps state in a real redis-server instead.
	redis    bool
	flap     state.Flap
	routes   *route.Table
	idlePoll time.Duration
}

// newRigOf makes a rig as o says, with no notifier running yet.
func newRigOf(t *testing.T, o rigOptions) *rig {
	t.Helper()
	var st state.Store
	var err error
	if o.redis {
		st, err = store.OpenRedis(t.Context(), redistest.Start(t), redistest.Prefix(t))
	} else {
		st, err = store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := newRigOn(t, o.groupWait, st, nil)
	r.flap, r.routes, r.idlePoll = o.flap, o.routes, o.idlePoll
	if o.wrap != nil {
		r.notifierStore = o.wrap(st)
	}
	return r
}

// newRigOn is a rig on store st, its notifiers configured by configure
// (nil: as they are), with no notifier started yet.
func newRigOn(t *testing.T, groupWait time.Duration, st state.Store, configure func(*notifier.Config)) *rig {
	t.Helper()
	srv := localnatstest.Start(t)
	nc, js := localnatstest.Connect(t, srv)
	if err := proto.EnsureStreams(t.Context(), js, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	r := &rig{srv: srv, js: js, nc: nc, st: st, notifierStore: st, smtp: smtptest.Start(t, smtptest.WithAuth("lw", "pw")),
		groupWait: groupWait, clock: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC), last: map[string]time.Time{},
		reg: prometheus.NewRegistry(), configure: configure}
	r.metrics = notifier.NewMetrics(r.reg)
	return r
}

// startNotifier runs one more notifier replica on the rig's NATS server,
// store and SMTP server; the returned func stops it.
func (r *rig) startNotifier(t *testing.T) (stop func()) {
	t.Helper()
	return r.startNotifierOn(t, r.notifierStore)
}

// startNotifierOn is startNotifier with the replica keeping state in st.
func (r *rig) startNotifierOn(t *testing.T, st state.Store) (stop func()) {
	t.Helper()
	_, stop = r.startReplicaOn(t, st, "")
	return stop
}

// startReplica runs one more notifier replica keeping its instance id in
// dir, and returns it with the func that stops it.
func (r *rig) startReplica(t *testing.T, dir string) (*notifier.Notifier, func()) {
	t.Helper()
	return r.startReplicaOn(t, r.notifierStore, dir)
}

// startReplicaOn runs one more notifier replica on a NATS connection of
// its own, keeping state in st and its instance id in dir ("": a new one
// each run), and returns it with the func that stops it.
func (r *rig) startReplicaOn(t *testing.T, st state.Store, dir string) (*notifier.Notifier, func()) {
	t.Helper()
	sender, err := mail.New(mail.Config{Host: "127.0.0.1", Port: r.smtp.Port(), Username: "lw", Password: "pw",
		TLSConfig: r.smtp.ClientTLS()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nc, js := localnatstest.Connect(t, r.srv)
	cfg := notifier.Config{GroupWait: r.groupWait, From: "lw@example.net",
		To: []string{"noc@example.net"}, MaxBackoff: 200 * time.Millisecond, Inventory: rigInventory,
		Metrics: r.metrics, InstanceDir: dir, IdlePoll: r.idlePoll, Flap: r.flap}
	if r.routes != nil {
		cfg.Routes = func() *route.Table { return r.routes }
	}
	if r.configure != nil {
		r.configure(&cfg)
	}
	n := notifier.New(js, nc, st, sender, cfg)
	r.notifiers = append(r.notifiers, n)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("notifier Run: %v", err)
			}
			nc.Close() // as the process's exit would: no pull request of its consumer outlives it
		})
	}
	t.Cleanup(stop)
	return n, stop
}

// rigInventory is the inventory of the rig's notifiers: r1 to r4 at site
// dc1, probed every minute.
func rigInventory() *notifier.Inventory {
	inv := &notifier.Inventory{Interval: time.Minute, Sites: map[string]string{}, Links: map[string]map[string]bool{}}
	for _, d := range []string{"r1", "r2", "r3", "r4"} {
		inv.Sites[d] = "dc1"
		inv.Links[d] = map[string]bool{"10.0.0.1": true, "10.0.0.2": true}
	}
	return inv
}

// publish sends a result for device at dc1 with one status per target.
func (r *rig) publish(t *testing.T, device string, statuses ...proto.LinkStatus) {
	t.Helper()
	r.publishAt(t, "dc1", device, statuses...)
}

// publishAt sends a result for device at site with one status per target.
func (r *rig) publishAt(t *testing.T, site, device string, statuses ...proto.LinkStatus) {
	t.Helper()
	subject, _ := proto.ResultSubject(site, device)
	r.publishTo(t, subject, r.resultAt(site, device, statuses...))
}

// result is the next result of device at site dc1, a minute after the
// previous one, with one status per target.
func (r *rig) result(device string, statuses ...proto.LinkStatus) *proto.ProbeResult {
	return r.resultAt("dc1", device, statuses...)
}

// resultAt is the next result of device at site.
func (r *rig) resultAt(site, device string, statuses ...proto.LinkStatus) *proto.ProbeResult {
	r.clock = r.clock.Add(time.Minute)
	if r.clock.After(r.last[device]) {
		r.last[device] = r.clock
	}
	// The job is scheduled at the check time, one a minute; the message id
	// is unique so no publish is deduplicated.
	res := &proto.ProbeResult{JobId: proto.JobID(device, r.clock.Unix()/60), Device: device, Site: site,
		CheckedAt: timestamppb.New(r.clock), ScheduledAt: timestamppb.New(r.clock)}
	for i, s := range statuses {
		lr := &proto.LinkResult{Target: &proto.Target{Address: fmt.Sprintf("10.0.0.%d", i+1)}, Status: s, Sent: 5,
			CheckedAt: timestamppb.New(r.clock)}
		if s == proto.LinkStatus_LINK_STATUS_UP {
			lr.Received, lr.SuccessPercent = 5, 100
		}
		res.Links = append(res.Links, lr)
	}
	return res
}

// publishTo publishes res on subject with a message id of its own and
// the given headers.
func (r *rig) publishTo(t *testing.T, subject string, res *proto.ProbeResult, headers ...[2]string) {
	t.Helper()
	r.seq++
	data, err := pb.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	for _, h := range headers {
		msg.Header.Set(h[0], h[1])
	}
	if _, err := r.js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(fmt.Sprintf("%s#%d", res.JobId, r.seq))); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) waitApplied(t *testing.T, device string) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		devs, err := r.st.Devices(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range devs {
			if d.Name == device && d.LastResult.Equal(r.last[device]) {
				return nil
			}
		}
		return fmt.Errorf("result of %s at %v not applied", device, r.last[device])
	})
}

const (
	up   = proto.LinkStatus_LINK_STATUS_UP
	down = proto.LinkStatus_LINK_STATUS_DOWN
)

func TestNotifierGroupsABurstIntoOneEmail(t *testing.T) {
	r := newRig(t, 500*time.Millisecond)
	for _, d := range []string{"r1", "r2", "r3"} {
		r.publish(t, d, up, up)
		r.waitApplied(t, d)
	}
	for _, d := range []string{"r1", "r2", "r3"} {
		r.publish(t, d, down, up)
	}
	msgs := r.smtp.WaitFor(t, 1, 10*time.Second)
	subject := msgs[0].Header.Get("Subject")
	if !strings.Contains(subject, "3 links DOWN") {
		t.Errorf("subject %q, want the three DOWN links in one email", subject)
	}
	for _, d := range []string{"r1", "r2", "r3"} {
		r.waitApplied(t, d)
	}
	waitOutboxEmpty(t, r.st)
	if n := len(r.smtp.Messages()); n != 1 {
		t.Errorf("%d emails for one burst, want 1", n)
	}
}

func TestNotifierRetriesTemporaryFailures(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	r.smtp.FailNext(2, 451, "try again later")
	r.publish(t, "r1", down)
	msgs := r.smtp.WaitFor(t, 1, 15*time.Second)
	if !strings.Contains(msgs[0].Text, "UP → DOWN") {
		t.Errorf("email after retries:\n%s", msgs[0].Text)
	}
	waitOutboxEmpty(t, r.st)
}

func TestNotifierParksPermanentFailures(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	r.smtp.FailNext(1, 550, "mailbox unavailable")
	r.publish(t, "r1", down)
	var parked []state.Alert
	waittest.For(t, 10*time.Second, func() error {
		var err error
		if parked, err = r.st.Parked(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(parked) != 1 {
			return fmt.Errorf("%d alerts parked after a permanent failure, want 1", len(parked))
		}
		return nil
	})
	if !strings.Contains(parked[0].LastError, "550") {
		t.Errorf("parked alert reason %q lacks the server's reply", parked[0].LastError)
	}
	waitOutboxEmpty(t, r.st)
}

func TestNotifierRedeliveredResultChangesNothing(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	r.publish(t, "r1", down)
	r.smtp.WaitFor(t, 1, 10*time.Second)
	// The same check time again, as a redelivery would bring it.
	r.clock = r.clock.Add(-time.Minute)
	r.publish(t, "r1", up)
	r.clock = r.clock.Add(time.Minute)
	r.publish(t, "r1", down) // newer, same state: quiet
	r.waitApplied(t, "r1")
	waitOutboxEmpty(t, r.st)
	if n := len(r.smtp.Messages()); n != 1 {
		t.Errorf("%d emails, want 1: a stale result must not flip the link back", n)
	}
}

// TestNotifierServesTheAPI checks the wiring: a running notifier answers
// the status/history API (package api) from its store and its inventory,
// whose devices with no result yet are listed as not probed.
func TestNotifierServesTheAPI(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up, down)
	r.waitApplied(t, "r1")
	st, err := api.QueryStatus(context.Background(), r.nc, api.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Devices) != 4 || st.Devices[0].Name != "r1" || st.Devices[0].Links["10.0.0.2"].State != "DOWN" {
		t.Fatalf("status = %+v, want r1 with 10.0.0.2 DOWN, then r2 to r4", st)
	}
	for _, d := range st.Devices[1:] {
		if !d.NotProbed || d.Stale || len(d.Links) != 0 {
			t.Errorf("status of %s = %+v, want not probed yet, not stale", d.Name, d)
		}
	}
}

func waitOutboxEmpty(t *testing.T, st state.Store) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		out, err := st.Outbox(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 0 {
			return fmt.Errorf("%d alerts still in the outbox", len(out))
		}
		return nil
	})
}

func TestOnlyOneNotifierReplicaSendsEmail(t *testing.T) {
	r := newRig(t, 0)
	stopSecond := r.startNotifier(t)
	for _, d := range []string{"r1", "r2", "r3", "r4"} {
		r.publish(t, d, up)
		r.waitApplied(t, d)
	}
	for _, d := range []string{"r1", "r2", "r3", "r4"} {
		r.publish(t, d, down)
		r.waitApplied(t, d)
	}
	waitOutboxEmpty(t, r.st)
	if got := countChanges(r.smtp.Messages()); got != 4 {
		t.Fatalf("%d link changes emailed by two replicas, want each of the 4 once", got)
	}
	// Email keeps flowing when one replica stops (if it held the lease,
	// it releases it and the other takes over at once).
	stopSecond()
	r.publish(t, "r1", up)
	r.smtp.WaitFor(t, len(r.smtp.Messages())+1, 20*time.Second)
}

// countChanges counts the link changes listed across emails.
func countChanges(msgs []smtptest.Message) int {
	n := 0
	for _, m := range msgs {
		n += strings.Count(m.Text, "UP → DOWN")
	}
	return n
}

// ackFails is a store whose Ack fails a number of times, like a Redis
// that went read-only or a full disk.
type ackFails struct {
	state.Store
	left atomic.Int32
}

func (a *ackFails) Ack(ctx context.Context, ids ...string) error {
	if a.left.Add(-1) >= 0 {
		return errors.New("MISCONF: writes refused")
	}
	return a.Store.Ack(ctx, ids...)
}

func TestNotifierDoesNotResendWhenOutboxRemovalFails(t *testing.T) {
	flaky := &ackFails{}
	r := newRigWith(t, 0, func(st state.Store) state.Store { flaky.Store = st; return flaky })
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	flaky.left.Store(3)
	r.publish(t, "r1", down)
	r.smtp.WaitFor(t, 1, 10*time.Second)
	waitOutboxEmpty(t, r.st)
	if n := len(r.smtp.Messages()); n != 1 {
		t.Fatalf("%d emails for one alert while the outbox could not be updated, want 1", n)
	}
}

// TestNotifierStopsCleanlyWhileStarting stops notifiers at once, while
// they may still be creating their consumer or opening the mailer lease:
// being stopped while starting is a clean stop too.
func TestNotifierStopsCleanlyWhileStarting(t *testing.T) {
	r := newRig(t, 0)
	for range 20 {
		r.startNotifier(t)() // fails the test when Run returns an error
	}
}
