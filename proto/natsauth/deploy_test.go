package natsauth_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/natsauth"
	"github.com/linkwatch/linkwatch/proto/natsauth/natsauthtest"
)

var update = flag.Bool("update", false, "rewrite the configurations in deploy/nats")

// deployDir holds the server configurations shipped in deploy/nats:
// nats-server.conf for one server and the example sites dc1 and dc2;
// hub.conf and leaf-site-b.conf for a hub whose site site-a connects to
// it and whose site site-b joins through a leaf node (natsauthtest).
const deployDir = "../../deploy/nats"

var deploySites = []string{"dc1", "dc2"}

const regenerate = `#
# Generated from the roles by
#   go test ./proto/natsauth -run TestDeployConfig -update
# for %s. Each user's public nkey is read from the
# environment when the server starts, e.g.
#   %s=$(linkwatch creds export --role %s --public)
# For your own sites, with the keys filled in:
#   linkwatch creds server-config --config linkwatch.yaml%s`

// deployFiles are the files of deploy/nats, each as the roles give it.
var deployFiles = []struct {
	name  string
	write func(w io.Writer) error
}{
	{"nats-server.conf", func(w io.Writer) error {
		how := fmt.Sprintf(regenerate, "the sites dc1 and dc2", natsauth.EnvVar("worker-dc2"), "worker-dc2", "")
		return natsauth.WriteServerConfig(w, deployUsers(deploySites), true, how)
	}},
	{"hub.conf", func(w io.Writer) error {
		leaf, _ := proto.LeafRole(natsauthtest.LeafSite)
		how := fmt.Sprintf(regenerate, "the sites "+natsauthtest.HubSite+" and "+natsauthtest.LeafSite+"\n# ("+natsauthtest.LeafSite+" through a leaf node)",
			natsauth.EnvVar(leaf), string(leaf), " --domain "+natsauthtest.Domain+" --leaves "+natsauthtest.LeafSite)
		users := append(deployUsers([]string{natsauthtest.HubSite, natsauthtest.LeafSite}), natsauth.User{Role: leaf})
		return natsauth.WriteHubConfig(w, users, natsauthtest.Domain, true, how)
	}},
	{"leaf-" + natsauthtest.LeafSite + ".conf", func(w io.Writer) error {
		worker, _ := proto.WorkerRole(natsauthtest.LeafSite)
		how := fmt.Sprintf(regenerate, "the leaf node of site "+natsauthtest.LeafSite, natsauth.EnvVar(worker), string(worker),
			" --leaf "+natsauthtest.LeafSite+" --hub nats-leaf://HUB:7422")
		leaf, _ := proto.LeafRole(natsauthtest.LeafSite)
		how += "\n# The hub's leafnode URL is read from " + natsauth.HubURLEnv + ", this leaf node's seed\n# from " +
			natsauth.SeedEnvVar(leaf) + "."
		return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: natsauth.User{Role: worker}, Domain: natsauthtest.Domain}, true, how)
	}},
}

// deployUsers are the users of every role of sites, their keys read from
// the environment.
func deployUsers(sites []string) []natsauth.User {
	roles, err := proto.Roles(sites)
	if err != nil {
		panic(err)
	}
	users := make([]natsauth.User, len(roles))
	for i, r := range roles {
		users[i] = natsauth.User{Role: r}
	}
	return users
}

func TestDeployConfig(t *testing.T) {
	for _, f := range deployFiles {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		path := filepath.Join(deployDir, f.name)
		if *update {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s is not what the roles give: run go test ./proto/natsauth -run TestDeployConfig -update", path)
		}
	}
}

// deployment is a server configuration of deploy/nats for two sites, the
// first connected to it; the roles it admits besides theirs (leaf nodes).
type deployment struct {
	file  string
	sites [2]string
	more  []proto.Role
}

// deployments are the server configurations every role is tried on.
var deployments = []deployment{
	{"nats-server.conf", [2]string{"dc1", "dc2"}, nil},
	{"hub.conf", [2]string{natsauthtest.HubSite, natsauthtest.LeafSite}, []proto.Role{"leaf-" + natsauthtest.LeafSite}},
}

// bus is a real nats-server started from a deployment with a fresh key
// per role.
type bus struct {
	url  string
	keys natsauth.Keys
	// at names the deployment's sites in a subject or role written for
	// dc1 and dc2.
	at func(string) string
}

func startDeployed(t *testing.T, d deployment) *bus {
	t.Helper()
	roles, err := proto.Roles(d.sites[:])
	if err != nil {
		t.Fatal(err)
	}
	roles = append(roles, d.more...)
	keys := natsauth.Keys{Dir: filepath.Join(t.TempDir(), "keys")}
	natsauthtest.SetKeys(t, keys, roles)
	path := filepath.Join(deployDir, d.file)
	var admitted int
	ns := natsauthtest.Start(t, path, func(o *server.Options) { admitted = len(o.Nkeys) })
	if admitted != len(roles) {
		t.Fatalf("%s admits %d users, want one per role (%d)", path, admitted, len(roles))
	}
	return &bus{url: ns.ClientURL(), keys: keys, at: strings.NewReplacer("dc1", d.sites[0], "dc2", d.sites[1]).Replace}
}

// client is one role's connection; denied collects the server's
// permission violations.
type client struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	denied chan error
}

func (b *bus) connect(t *testing.T, role proto.Role) *client {
	t.Helper()
	return connect(t, b.url, b.keys, role, "")
}

// connect connects to url as role, reaching JetStream in domain ("" for
// the server's own).
func connect(t *testing.T, url string, keys natsauth.Keys, role proto.Role, domain string) *client {
	t.Helper()
	c := &client{denied: make(chan error, 100)}
	c.nc = natsauthtest.Connect(t, url, keys, role,
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { c.denied <- err }))
	var err error
	if domain == "" {
		c.js, err = jetstream.New(c.nc)
	} else {
		c.js, err = jetstream.NewWithDomain(c.nc, domain)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deny asserts that do makes the server report a permission violation
// naming subject.
func (c *client) deny(t *testing.T, what, subject string, do func() error) {
	t.Helper()
	if err := do(); err != nil && !errors.Is(err, nats.ErrPermissionViolation) && !errors.Is(err, context.DeadlineExceeded) &&
		!errors.Is(err, nats.ErrTimeout) && !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("%s: %v", what, err)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case err := <-c.denied:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
		case <-timeout:
			t.Errorf("%s: no permission violation for %s", what, subject)
			return
		}
	}
}

// violations drains the permission violations seen so far, for a failure
// message.
func (c *client) violations() string {
	var s string
	for len(c.denied) > 0 {
		s += "\n\t" + (<-c.denied).Error()
	}
	return s
}

func (c *client) publish(subject string) func() error {
	return func() error { return c.nc.Publish(subject, []byte("forged")) }
}

func (c *client) subscribe(subject string) func() error {
	return func() error { _, err := c.nc.SubscribeSync(subject); return err }
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDeployedPermissions runs every role's real work against each shipped
// server configuration, then what each role must not be able to do.
func TestDeployedPermissions(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.file, func(t *testing.T) { testRolePermissions(t, startDeployed(t, d)) })
	}
}

func testRolePermissions(t *testing.T, b *bus) {
	sched := b.connect(t, proto.RoleScheduler)
	notif := b.connect(t, proto.RoleNotifier)
	cli := b.connect(t, proto.RoleCLI)
	w1 := b.connect(t, proto.Role(b.at("worker-dc1")))

	// The scheduler keeps the jobs stream and publishes jobs; the notifier
	// keeps the results stream.
	if err := proto.EnsureStream(ctx(t), sched.js, proto.StreamJobs, time.Minute, 1); err != nil {
		t.Fatalf("scheduler ensures the jobs stream: %v%s", err, sched.violations())
	}
	if err := proto.EnsureStream(ctx(t), notif.js, proto.StreamResults, time.Minute, 1); err != nil {
		t.Fatalf("notifier ensures the results stream: %v%s", err, notif.violations())
	}
	for _, site := range []string{b.at("dc1"), b.at("dc2")} {
		if _, err := sched.js.Publish(ctx(t), "linkwatch.jobs."+site, []byte("job of "+site)); err != nil {
			t.Fatalf("scheduler publishes a job: %v", err)
		}
	}
	// A worker of dc1 pulls its site's job, acks it, publishes a result.
	durable, _ := proto.WorkerConsumer(b.at("dc1"))
	cons, err := w1.js.CreateOrUpdateConsumer(ctx(t), proto.StreamJobs, jetstream.ConsumerConfig{Durable: durable,
		FilterSubject: b.at("linkwatch.jobs.dc1"), AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf(b.at("worker-dc1 creates its consumer: %v"), err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || string(msg.Data()) != b.at("job of dc1") {
		t.Fatalf(b.at("worker-dc1 pulls its job: %v"), err)
	}
	if err := msg.DoubleAck(ctx(t)); err != nil {
		t.Fatalf(b.at("worker-dc1 acks its job: %v"), err)
	}
	if _, err := w1.js.Publish(ctx(t), b.at("linkwatch.results.dc1.r1"), []byte("result")); err != nil {
		t.Fatalf(b.at("worker-dc1 publishes a result: %v"), err)
	}
	// The notifier consumes results, keeps its lease, answers the API.
	rcons, err := notif.js.CreateOrUpdateConsumer(ctx(t), proto.StreamResults, jetstream.ConsumerConfig{
		Durable: proto.NotifierConsumer, FilterSubject: proto.ResultsAll, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("notifier creates its consumer: %v", err)
	}
	if msg, err := rcons.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil {
		t.Fatalf("notifier pulls a result: %v", err)
	} else if err := msg.Ack(); err != nil {
		t.Fatal(err)
	}
	kv, err := notif.js.CreateKeyValue(ctx(t), jetstream.KeyValueConfig{Bucket: proto.LeaseBucket, TTL: time.Minute})
	if err != nil {
		t.Fatalf("notifier creates its lease bucket: %v%s", err, notif.violations())
	}
	rev, err := kv.Create(ctx(t), proto.MailerLease, []byte("me"))
	if err == nil {
		_, err = kv.Get(ctx(t), proto.MailerLease)
	}
	if err == nil {
		rev, err = kv.Update(ctx(t), proto.MailerLease, []byte("me"), rev)
	}
	if err == nil {
		err = kv.Delete(ctx(t), proto.MailerLease, jetstream.LastRevision(rev))
	}
	if err != nil {
		t.Fatalf("notifier uses its lease: %v", err)
	}
	if _, err := notif.nc.Subscribe(proto.APIPrefix+".status", func(m *nats.Msg) { _ = m.Respond([]byte("ok")) }); err != nil {
		t.Fatal(err)
	}
	if err := notif.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if rep, err := cli.nc.Request(proto.APIPrefix+".status", nil, 5*time.Second); err != nil || string(rep.Data) != "ok" {
		t.Fatalf("cli calls the API: %v", err)
	}
	// A notifier wakes the others' mailers after a commit.
	wakes, err := notif.nc.SubscribeSync(proto.MailerWake)
	if err == nil {
		err = notif.nc.Publish(proto.MailerWake, nil)
	}
	if err == nil {
		_, err = wakes.NextMsg(5 * time.Second)
	}
	if err != nil {
		t.Fatalf("notifier wakes the mailers: %v%s", err, notif.violations())
	}

	// The scheduler creates the workers' shared buckets; a worker pins
	// its own site's host keys and locks its own devices' sessions; the
	// CLI reads and forgets any pin.
	if err := proto.EnsureBuckets(ctx(t), sched.js, 1); err != nil {
		t.Fatalf("scheduler creates the shared buckets: %v%s", err, sched.violations())
	}
	pin, _ := proto.HostKeyKey(b.at("dc1"), "r1")
	session, _ := proto.SessionKey(b.at("dc1"), "r1")
	for _, c := range []struct{ bucket, key string }{{proto.HostKeyBucket, pin}, {proto.LoginBucket, session}} {
		kv, err := w1.js.KeyValue(ctx(t), c.bucket)
		if err != nil {
			t.Fatalf(b.at("worker-dc1 binds %s: %v%s"), c.bucket, err, w1.violations())
		}
		rev, err := kv.Create(ctx(t), c.key, []byte("v1"))
		if err == nil {
			_, err = kv.Get(ctx(t), c.key)
		}
		if err == nil {
			_, err = kv.Update(ctx(t), c.key, []byte("v2"), rev)
		}
		if _, err2 := kv.Create(ctx(t), c.key, []byte("v3")); err == nil && !errors.Is(err2, jetstream.ErrKeyExists) {
			err = fmt.Errorf("a second create: %v, want ErrKeyExists", err2)
		}
		if err != nil {
			t.Fatalf(b.at("worker-dc1 uses its keys of %s: %v%s"), c.bucket, err, w1.violations())
		}
	}
	// A worker of dc1 forwards a job to the worker holding a device's
	// persistent session, which answers on the asker's session subject.
	holder, _ := proto.SessionSubject(b.at("dc1"), "holder")
	asker, _ := proto.SessionSubject(b.at("dc1"), "asker")
	serving, err := w1.nc.Subscribe(holder, func(m *nats.Msg) { _ = m.Respond([]byte("result")) })
	if err != nil {
		t.Fatal(err)
	}
	answers, err := w1.nc.SubscribeSync(asker + ".reply.1")
	if err == nil {
		err = w1.nc.PublishRequest(holder, asker+".reply.1", []byte("job"))
	}
	var answer *nats.Msg
	if err == nil {
		answer, err = answers.NextMsg(5 * time.Second)
	}
	if err != nil || string(answer.Data) != "result" {
		t.Fatalf(b.at("worker-dc1 forwards a job to its site's session holder: %v%s"), err, w1.violations())
	}
	_ = serving.Unsubscribe()
	_ = answers.Unsubscribe()
	cliPins, err := cli.js.KeyValue(ctx(t), proto.HostKeyBucket)
	if err != nil {
		t.Fatalf("cli binds the host key bucket: %v%s", err, cli.violations())
	}
	if e, err := cliPins.Get(ctx(t), pin); err != nil || string(e.Value()) != "v2" {
		t.Fatalf("cli reads a pin: %v%s", err, cli.violations())
	}
	// The CLI forgets a pin by purging its subject; it may not write one
	// (a planted pin would let an impostor collect the site's password).
	cli.deny(t, "cli plants a pin", b.at("$KV.linkwatch_hostkeys.dc1.r1"), cli.publish(b.at("$KV.linkwatch_hostkeys.dc1.r1")))
	pinStream, err := cli.js.Stream(ctx(t), "KV_"+proto.HostKeyBucket)
	if err == nil {
		err = pinStream.Purge(ctx(t), jetstream.WithPurgeSubject("$KV."+proto.HostKeyBucket+"."+pin))
	}
	if err != nil {
		t.Fatalf("cli forgets a pin: %v%s", err, cli.violations())
	}
	if _, err := cliPins.Get(ctx(t), pin); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("after forget, the pin reads %v, want not found", err)
	}

	// What each role must not do.
	w1.deny(t, b.at("worker-dc1 pins a host key of dc2"), b.at("$KV.linkwatch_hostkeys.dc2.r2"), w1.publish(b.at("$KV.linkwatch_hostkeys.dc2.r2")))
	w1.deny(t, b.at("worker-dc1 reads a pin of dc2"), b.at("$JS.API.DIRECT.GET.KV_linkwatch_hostkeys.$KV.linkwatch_hostkeys.dc2.r2"),
		w1.publish(b.at("$JS.API.DIRECT.GET.KV_linkwatch_hostkeys.$KV.linkwatch_hostkeys.dc2.r2")))
	w1.deny(t, b.at("worker-dc1 reads a pin by sequence"), "$JS.API.STREAM.MSG.GET.KV_linkwatch_hostkeys",
		w1.publish("$JS.API.STREAM.MSG.GET.KV_linkwatch_hostkeys"))
	w1.deny(t, b.at("worker-dc1 locks a session of dc2"), b.at("$KV.linkwatch_logins.dc2.session.r2"), w1.publish(b.at("$KV.linkwatch_logins.dc2.session.r2")))
	w1.deny(t, b.at("worker-dc1 purges the host key bucket"), "$JS.API.STREAM.PURGE.KV_linkwatch_hostkeys",
		w1.publish("$JS.API.STREAM.PURGE.KV_linkwatch_hostkeys"))
	w1.deny(t, b.at("worker-dc1 shortens the host key bucket's limits"), "$JS.API.STREAM.UPDATE.KV_linkwatch_hostkeys",
		w1.publish("$JS.API.STREAM.UPDATE.KV_linkwatch_hostkeys"))
	w1.deny(t, b.at("worker-dc1 creates a bucket"), "$JS.API.STREAM.CREATE.KV_linkwatch_hostkeys",
		w1.publish("$JS.API.STREAM.CREATE.KV_linkwatch_hostkeys"))
	cli.deny(t, "cli locks a session", b.at("$KV.linkwatch_logins.dc1.session.r1"), cli.publish(b.at("$KV.linkwatch_logins.dc1.session.r1")))
	w1.deny(t, b.at("worker-dc1 pulls dc2's jobs"), b.at("$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-dc2"),
		w1.publish(b.at("$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-dc2")))
	w1.deny(t, b.at("worker-dc1 creates dc2's consumer"), b.at("$JS.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-dc2.linkwatch.jobs.dc2"),
		w1.publish(b.at("$JS.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-dc2.linkwatch.jobs.dc2")))
	w1.deny(t, b.at("worker-dc1 points its consumer at dc2's jobs"), b.at("$JS.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-dc1.linkwatch.jobs.dc2"),
		w1.publish(b.at("$JS.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-dc1.linkwatch.jobs.dc2")))
	w1.deny(t, b.at("worker-dc1 reads a job by sequence"), "$JS.API.STREAM.MSG.GET.LINKWATCH_JOBS",
		w1.publish("$JS.API.STREAM.MSG.GET.LINKWATCH_JOBS"))
	w1.deny(t, b.at("worker-dc1 publishes a job"), b.at("linkwatch.jobs.dc1"), w1.publish(b.at("linkwatch.jobs.dc1")))
	w1.deny(t, b.at("worker-dc1 publishes dc2's result"), b.at("linkwatch.results.dc2.r2"), w1.publish(b.at("linkwatch.results.dc2.r2")))
	w1.deny(t, b.at("worker-dc1 deletes the jobs stream"), "$JS.API.STREAM.DELETE.LINKWATCH_JOBS",
		w1.publish("$JS.API.STREAM.DELETE.LINKWATCH_JOBS"))
	w1.deny(t, b.at("worker-dc1 listens to jobs"), "linkwatch.jobs.>", w1.subscribe("linkwatch.jobs.>"))
	w1.deny(t, b.at("worker-dc1 listens to dc2's inbox"), b.at("_INBOX_worker-dc2.>"), w1.subscribe(b.at("_INBOX_worker-dc2.>")))
	w1.deny(t, b.at("worker-dc1 forwards a job to dc2's session holder"), b.at("linkwatch.session.dc2.holder"),
		w1.publish(b.at("linkwatch.session.dc2.holder")))
	w1.deny(t, b.at("worker-dc1 listens to dc2's forwarded jobs"), b.at("linkwatch.session.dc2.>"), w1.subscribe(b.at("linkwatch.session.dc2.>")))
	cli.deny(t, "cli forwards a job to a session holder", b.at("linkwatch.session.dc1.holder"), cli.publish(b.at("linkwatch.session.dc1.holder")))

	// The CLI names a JetStream API subject as the reply of an API call,
	// to have the notifier's answer delete the jobs stream.
	cli.nc.PublishRequest(proto.APIPrefix+".status", "$JS.API.STREAM.DELETE.LINKWATCH_JOBS", nil)
	notif.deny(t, "notifier answers to a reply subject that is not the CLI's inbox", "$JS.API.STREAM.DELETE.LINKWATCH_JOBS",
		func() error { return cli.nc.Flush() })
	cli.deny(t, "cli reads results", "linkwatch.results.>", cli.subscribe("linkwatch.results.>"))
	cli.deny(t, "cli reads the notifier's deliveries", "_INBOX_notifier.>", cli.subscribe("_INBOX_notifier.>"))
	cli.deny(t, "cli reads every inbox", "_INBOX.>", cli.subscribe("_INBOX.>"))
	cli.deny(t, "cli creates a results consumer", "$JS.API.CONSUMER.CREATE.LINKWATCH_RESULTS.spy",
		cli.publish("$JS.API.CONSUMER.CREATE.LINKWATCH_RESULTS.spy"))
	cli.deny(t, "cli reads a result by sequence", "$JS.API.STREAM.MSG.GET.LINKWATCH_RESULTS",
		cli.publish("$JS.API.STREAM.MSG.GET.LINKWATCH_RESULTS"))
	cli.deny(t, "cli publishes a result", b.at("linkwatch.results.dc1.r1"), cli.publish(b.at("linkwatch.results.dc1.r1")))
	cli.deny(t, "cli publishes a job", b.at("linkwatch.jobs.dc1"), cli.publish(b.at("linkwatch.jobs.dc1")))
	cli.deny(t, "cli wakes the mailer", proto.MailerWake, cli.publish(proto.MailerWake))
	cli.deny(t, "cli listens for commits", proto.MailerWake, cli.subscribe(proto.MailerWake))
	w1.deny(t, b.at("worker-dc1 wakes the mailer"), proto.MailerWake, w1.publish(proto.MailerWake))
	sched.deny(t, "scheduler listens for commits", proto.MailerWake, sched.subscribe(proto.MailerWake))

	sched.deny(t, "scheduler publishes a result", b.at("linkwatch.results.dc1.r1"), sched.publish(b.at("linkwatch.results.dc1.r1")))
	// A role that could change the results stream could source or
	// republish forged results into it.
	sched.deny(t, "scheduler updates the results stream", "$JS.API.STREAM.UPDATE.LINKWATCH_RESULTS",
		sched.publish("$JS.API.STREAM.UPDATE.LINKWATCH_RESULTS"))
	notif.deny(t, "notifier updates the jobs stream", "$JS.API.STREAM.UPDATE.LINKWATCH_JOBS",
		notif.publish("$JS.API.STREAM.UPDATE.LINKWATCH_JOBS"))
	sched.deny(t, "scheduler pulls jobs", b.at("$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-dc1"),
		sched.publish(b.at("$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-dc1")))
	notif.deny(t, "notifier publishes a job", b.at("linkwatch.jobs.dc1"), notif.publish(b.at("linkwatch.jobs.dc1")))
	notif.deny(t, "notifier publishes a result", b.at("linkwatch.results.dc1.r1"), notif.publish(b.at("linkwatch.results.dc1.r1")))

	// Nothing denied reached a stream: dc2's job is still waiting, and the
	// results stream holds the one genuine result.
	for _, c := range []struct {
		keeper *client
		stream string
	}{{sched, proto.StreamJobs}, {notif, proto.StreamResults}} {
		stream, want := c.stream, uint64(1)
		s, err := c.keeper.js.Stream(ctx(t), stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != want {
			t.Errorf("stream %s holds %d messages, want %d", stream, info.State.Msgs, want)
		}
	}
}

func TestDeployedRefusesUnknownClients(t *testing.T) {
	for _, d := range deployments {
		t.Run(d.file, func(t *testing.T) { testRefusesUnknownClients(t, startDeployed(t, d)) })
	}
}

func testRefusesUnknownClients(t *testing.T, b *bus) {
	if nc, err := nats.Connect(b.url); err == nil {
		nc.Close()
		t.Error("a client without a key connected")
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	path := filepath.Join(t.TempDir(), "stranger.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	auth, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(b.url, auth); err == nil {
		nc.Close()
		t.Error("a client with an unknown key connected")
	} else if !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("unknown key: %v, want an authorization error", err)
	}
}

// deployChecks say what each file of deploy/nats must be once loaded.
var deployChecks = map[string]func(o *server.Options) error{
	"nats-server.conf": func(o *server.Options) error {
		if !o.JetStream || o.LeafNode.Port != 0 {
			return fmt.Errorf("jetstream %v, leafnode port %d; want jetstream and no leaf nodes", o.JetStream, o.LeafNode.Port)
		}
		return nil
	},
	"hub.conf": func(o *server.Options) error {
		if !o.JetStream || o.JetStreamDomain != natsauthtest.Domain || o.LeafNode.Port != natsauth.LeafPort {
			return fmt.Errorf("jetstream %v in domain %q, leafnode port %d; want jetstream in %q and leaf nodes on %d",
				o.JetStream, o.JetStreamDomain, o.LeafNode.Port, natsauthtest.Domain, natsauth.LeafPort)
		}
		return nil
	},
	"leaf-site-b.conf": func(o *server.Options) error {
		if o.JetStream || len(o.LeafNode.Remotes) != 1 || o.LeafNode.Remotes[0].Nkey == "" || len(o.LeafNode.Remotes[0].URLs) != 1 {
			return fmt.Errorf("jetstream %v, %d remotes; want no jetstream and one remote, the hub, with a URL and a key",
				o.JetStream, len(o.LeafNode.Remotes))
		}
		return nil
	},
}

// TestDeployConfigsLoad loads every file of deploy/nats with nats-server's
// own parser, each environment variable it reads set, and checks that
// every user it admits is bound by permissions.
func TestDeployConfigsLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(deployDir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s: %v", deployDir, err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			check, ok := deployChecks[name]
			if !ok {
				t.Fatalf("%s has no check in deployChecks", path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range envReferences(string(data)) {
				t.Setenv(v, envValue(t, v))
			}
			o, err := server.ProcessConfigFile(path)
			if err != nil {
				t.Fatalf("nats-server cannot load %s: %v", path, err)
			}
			if err := check(o); err != nil {
				t.Error(err)
			}
			if len(o.Nkeys) == 0 || len(o.Users) > 0 {
				t.Errorf("%d nkey users and %d other users; want nkey users only", len(o.Nkeys), len(o.Users))
			}
			for _, u := range o.Nkeys {
				if p := u.Permissions; p == nil || p.Publish == nil || len(p.Publish.Allow) == 0 || p.Subscribe == nil || len(p.Subscribe.Allow) == 0 {
					t.Errorf("user %s may publish and subscribe to anything", u.Nkey)
				}
			}
		})
	}
}

var (
	quoted = regexp.MustCompile(`"[^"]*"`)
	envRef = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)
)

// envReferences are the variables a configuration reads from the
// environment: $NAME outside comments and quoted strings.
func envReferences(conf string) []string {
	var names []string
	for line := range strings.Lines(conf) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range envRef.FindAllStringSubmatch(quoted.ReplaceAllString(line, ""), -1) {
			names = append(names, m[1])
		}
	}
	return names
}

// envValue is a value of the kind the variable name holds: a fresh public
// key or seed, or the hub's URL.
func envValue(t *testing.T, name string) string {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(name, "LINKWATCH_NKEY_"):
		pub, _ := kp.PublicKey()
		return pub
	case strings.HasPrefix(name, "LINKWATCH_SEED_"):
		seed, _ := kp.Seed()
		return string(seed)
	case name == natsauth.HubURLEnv:
		return fmt.Sprintf("nats-leaf://127.0.0.1:%d", natsauth.LeafPort)
	}
	t.Fatalf("the configuration reads %s, a variable this test does not know", name)
	return ""
}
