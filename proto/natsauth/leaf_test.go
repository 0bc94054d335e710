package natsauth_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// leafBus is the hub of deploy/nats/hub.conf and site-b's leaf node of
// deploy/nats/leaf-site-b.conf running, with the streams and buckets as
// their keepers make them.
type leafBus struct {
	sites        *natsauthtest.Sites
	leaf         *server.Server
	sched, notif *client
}

// startLeafBus starts the hub and the leaf node; adjustLeaf is as for
// natsauthtest.Start.
func startLeafBus(t *testing.T, adjustLeaf func(*server.Options)) *leafBus {
	t.Helper()
	b := &leafBus{sites: natsauthtest.StartHub(t, deployDir)}
	b.leaf = b.sites.StartLeaf(t, adjustLeaf)
	b.sched = b.hubClient(t, proto.RoleScheduler)
	b.notif = b.hubClient(t, proto.RoleNotifier)
	if err := proto.EnsureStream(ctx(t), b.sched.js, proto.StreamJobs, time.Minute, 1); err != nil {
		t.Fatalf("scheduler ensures the jobs stream: %v%s", err, b.sched.violations())
	}
	if err := proto.EnsureStream(ctx(t), b.notif.js, proto.StreamResults, time.Minute, 1); err != nil {
		t.Fatalf("notifier ensures the results stream: %v%s", err, b.notif.violations())
	}
	if err := proto.EnsureBuckets(ctx(t), b.sched.js, 1); err != nil {
		t.Fatalf("scheduler creates the shared buckets: %v%s", err, b.sched.violations())
	}
	return b
}

// hubClient connects to the hub as role.
func (b *leafBus) hubClient(t *testing.T, role proto.Role) *client {
	t.Helper()
	return connect(t, b.sites.Hub.ClientURL(), b.sites.Keys, role, "")
}

func (b *leafBus) publishJob(t *testing.T, site, data string) {
	t.Helper()
	if _, err := b.sched.js.Publish(ctx(t), "linkwatch.jobs."+site, []byte(data)); err != nil {
		t.Fatalf("scheduler publishes a job of %s: %v", site, err)
	}
}

// workerConsumer creates site's consumer as c, retrying while the way to
// the hub is still being set up.
func workerConsumer(t *testing.T, c *client, site string) jetstream.Consumer {
	t.Helper()
	var cons jetstream.Consumer
	waittest.For(t, 10*time.Second, func() error {
		var err error
		cons, err = c.js.CreateOrUpdateConsumer(ctx(t), proto.StreamJobs, jetstream.ConsumerConfig{Durable: "worker-" + site,
			FilterSubject: "linkwatch.jobs." + site, AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Minute})
		if err != nil {
			return fmt.Errorf("worker-%s creates its consumer: %w%s", site, err, c.violations())
		}
		return nil
	})
	return cons
}

// TestLeafWorker does a site-b worker's work through the leaf node: its
// consumer, its job, its result and its keys of the shared buckets.
func TestLeafWorker(t *testing.T) {
	b := startLeafBus(t, nil)
	b.publishJob(t, "site-b", "job of site-b")
	w := connect(t, b.leaf.ClientURL(), b.sites.Keys, "worker-site-b", natsauthtest.Domain)
	cons := workerConsumer(t, w, "site-b")
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || string(msg.Data()) != "job of site-b" {
		t.Fatalf("worker-site-b pulls its job: %v", err)
	}
	if err := msg.DoubleAck(ctx(t)); err != nil {
		t.Fatalf("worker-site-b acks its job: %v", err)
	}
	if _, err := w.js.Publish(ctx(t), "linkwatch.results.site-b.r1", []byte("result")); err != nil {
		t.Fatalf("worker-site-b publishes a result: %v", err)
	}
	for _, bucket := range []string{proto.HostKeyBucket, proto.LoginBucket} {
		kv, err := w.js.KeyValue(ctx(t), bucket)
		if err != nil {
			t.Fatalf("worker-site-b binds %s: %v%s", bucket, err, w.violations())
		}
		rev, err := kv.Create(ctx(t), "site-b.r1", []byte("v1"))
		if err == nil {
			_, err = kv.Get(ctx(t), "site-b.r1")
		}
		if err == nil {
			_, err = kv.Update(ctx(t), "site-b.r1", []byte("v2"), rev)
		}
		if err != nil {
			t.Fatalf("worker-site-b uses its keys of %s: %v%s", bucket, err, w.violations())
		}
	}
	// The notifier gets the result as the worker published it.
	results, err := b.notif.js.CreateOrUpdateConsumer(ctx(t), proto.StreamResults, jetstream.ConsumerConfig{
		Durable: proto.NotifierConsumer, FilterSubject: proto.ResultsAll, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	got, err := results.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || got.Subject() != "linkwatch.results.site-b.r1" || string(got.Data()) != "result" {
		t.Fatalf("the notifier pulls the result: %v", err)
	}
	if h := got.Headers(); h.Get(jetstream.StreamHeader) != "" || h.Get("Nats-Stream-Source") != "" {
		t.Errorf("the result arrived with the headers %v, which the notifier refuses", h)
	}
}

// leafAttacks are what a site-b leaf node must not carry to the hub, each
// with what the hub answers a leaf node that sends it anyway: a permission
// violation naming the subject as the hub maps it, or nothing when the
// subject goes nowhere in the leaf node's account (nats-server lets
// acknowledgements through whatever the permissions say).
var leafAttacks = []struct {
	what, subject, data, hub string
}{
	{"pull site-a's jobs", "$JS.hub.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-site-a", `{"batch":1}`,
		violation("$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-site-a")},
	{"create site-a's consumer", "$JS.hub.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-site-a.linkwatch.jobs.site-a", "{}",
		violation("$JS.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-site-a.linkwatch.jobs.site-a")},
	{"point its consumer at site-a's jobs", "$JS.hub.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-site-b.linkwatch.jobs.site-a", "{}",
		violation("$JS.API.CONSUMER.CREATE.LINKWATCH_JOBS.worker-site-b.linkwatch.jobs.site-a")},
	{"read a job by sequence", "$JS.hub.API.STREAM.MSG.GET.LINKWATCH_JOBS", `{"seq":1}`,
		violation("$JS.API.STREAM.MSG.GET.LINKWATCH_JOBS")},
	{"reach the hub's API outside the domain", "$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-site-b", `{"batch":1}`,
		violation("$JS.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-site-b")},
	{"take site-a's next job with an acknowledgement", "$JS.ACK.LINKWATCH_JOBS.worker-site-a.1.1.1.0.0", "+NXT", ""},
	{"terminate site-a's job in progress", "$JS.ACK.LINKWATCH_JOBS.worker-site-a.1.1.1.0.0", "+TERM", ""},
	{"take the notifier's next result with an acknowledgement", "$JS.ACK.LINKWATCH_RESULTS.notifier.1.0.0.0.0", "+NXT", ""},
	{"publish site-a's result", "linkwatch.results.site-a.r1", "forged", violation("linkwatch.results.site-a.r1")},
	{"pin a host key of site-a", "$JS.hub.API.$KV.linkwatch_hostkeys.site-a.r1", "forged",
		violation("$KV.linkwatch_hostkeys.site-a.r1")},
	{"read a pin of site-a", "$JS.hub.API.DIRECT.GET.KV_linkwatch_hostkeys.$KV.linkwatch_hostkeys.site-a.r1", "",
		violation("$JS.API.DIRECT.GET.KV_linkwatch_hostkeys.$KV.linkwatch_hostkeys.site-a.r1")},
	{"lock a session of site-a", "$JS.hub.API.$KV.linkwatch_logins.site-a.session.r1", "forged",
		violation("$KV.linkwatch_logins.site-a.session.r1")},
}

func violation(subject string) string {
	return fmt.Sprintf("-ERR 'Permissions Violation for Publish to %q'", subject)
}

// TestLeafIsolation tries what a site-b leaf node must not carry, as a
// site-b worker on the leaf node (the leaf node refuses), as a local admin
// of the leaf node with every permission there (the leaf node carries
// nothing of it), and as a leaf node that speaks the protocol itself with
// the leaf's key (the hub refuses or drops it), and checks that nothing
// of site-a was taken, changed or seen.
func TestLeafIsolation(t *testing.T) {
	adminKey, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	adminPub, _ := adminKey.PublicKey()
	b := startLeafBus(t, func(o *server.Options) {
		o.Nkeys = append(o.Nkeys, &server.NkeyUser{Nkey: adminPub}) // no permissions: all allowed
	})
	// Site a has two jobs, its worker holding the first, a pinned host key,
	// and the notifier's consumer exists.
	b.publishJob(t, "site-a", "job 1 of site-a")
	b.publishJob(t, "site-a", "job 2 of site-a")
	wa := b.hubClient(t, "worker-site-a")
	consA := workerConsumer(t, wa, "site-a")
	job1, err := consA.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("worker-site-a pulls its first job: %v", err)
	}
	pinsA, err := wa.js.KeyValue(ctx(t), proto.HostKeyBucket)
	if err != nil {
		t.Fatal(err)
	}
	pinRev, err := pinsA.Create(ctx(t), "site-a.r1", []byte("pinned by site-a"))
	if err != nil {
		t.Fatalf("worker-site-a pins a host key: %v", err)
	}
	results, err := b.notif.js.CreateOrUpdateConsumer(ctx(t), proto.StreamResults, jetstream.ConsumerConfig{
		Durable: proto.NotifierConsumer, FilterSubject: proto.ResultsAll, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}

	// A site-b worker on the leaf node: the leaf node refuses each.
	wb := connect(t, b.leaf.ClientURL(), b.sites.Keys, "worker-site-b", natsauthtest.Domain)
	for _, a := range leafAttacks {
		wb.deny(t, "worker-site-b on the leaf node: "+a.what, a.subject, func() error {
			return wb.nc.PublishRequest(a.subject, wb.nc.NewRespInbox(), []byte(a.data))
		})
	}

	// The leaf host's own admin, allowed everything on the leaf node, with
	// replies where the hub would send them (site-b's inbox) and listening
	// to everything the leaf node gets.
	admin, err := nats.Connect(b.leaf.ClientURL(), nats.Nkey(adminPub, adminKey.Sign), nats.NoEcho(),
		nats.CustomInboxPrefix("_INBOX_worker-site-b.admin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	seen, err := admin.SubscribeSync(">")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range leafAttacks {
		if err := admin.PublishRequest(a.subject, admin.NewRespInbox(), []byte(a.data)); err != nil {
			t.Fatalf("admin: %s: %v", a.what, err)
		}
	}
	// Site a's worker publishes a result meanwhile, on the hub.
	if _, err := wa.js.Publish(ctx(t), "linkwatch.results.site-a.r1", []byte("result of site-a")); err != nil {
		t.Fatal(err)
	}
	// A request the leaf node does carry: its answer comes after anything
	// the hub sent back for the attempts before it.
	if _, err := admin.Request("$JS.hub.API.CONSUMER.INFO.LINKWATCH_JOBS.worker-site-b", nil, 5*time.Second); err != nil {
		t.Fatalf("admin: a request the leaf node carries: %v", err)
	}
	for {
		m, err := seen.NextMsg(0)
		if err != nil {
			break
		}
		if strings.Contains(m.Subject, "site-a") || bytes.Contains(m.Data, []byte("site-a")) {
			t.Errorf("the leaf node's admin got %s %q", m.Subject, m.Data)
		}
	}

	// A leaf node that keeps to nothing it is told, with the leaf's key,
	// straight to the hub's leafnode port.
	seed, err := b.sites.Keys.Seed("leaf-site-b")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range leafAttacks {
		rogue, err := dialRogue(t, b.sites.LeafAddr, seed)
		if err != nil {
			t.Fatalf("rogue leaf node: log in: %v", err)
		}
		if err := rogue.subscribe("_INBOX_worker-site-b.rogue.>"); err != nil {
			t.Fatal(err)
		}
		if err := rogue.send(a.subject, "_INBOX_worker-site-b.rogue.1", []byte(a.data)); err != nil {
			t.Fatal(err)
		}
		got, err := rogue.roundTrip()
		switch {
		case a.hub == "" && err != nil:
			t.Errorf("rogue leaf node: %s: the hub closed the connection: %v", a.what, err)
		case a.hub != "" && (err == nil || err.Error() != a.hub):
			t.Errorf("rogue leaf node: %s: the hub answered %v, want %s", a.what, err, a.hub)
		case len(got) > 0:
			t.Errorf("rogue leaf node: %s: the hub sent %q", a.what, got)
		}
	}

	// Nothing of site-a was taken or changed: its first job is still its
	// worker's, its second waits, its result waits for the notifier, its
	// pin is its own.
	info, err := consA.Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 1 || info.NumPending != 1 || info.NumWaiting != 0 {
		t.Errorf("site-a's consumer: %d jobs in progress, %d waiting, %d pull requests; want 1, 1, 0",
			info.NumAckPending, info.NumPending, info.NumWaiting)
	}
	rinfo, err := results.Info(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if rinfo.NumPending != 1 || rinfo.NumAckPending != 0 {
		t.Errorf("the notifier's consumer: %d results pending, %d in progress; want site-a's one result pending",
			rinfo.NumPending, rinfo.NumAckPending)
	}
	if e, err := pinsA.Get(ctx(t), "site-a.r1"); err != nil || e.Revision() != pinRev || string(e.Value()) != "pinned by site-a" {
		t.Errorf("site-a's pin: %v, %v; want revision %d, as site-a pinned it", e, err, pinRev)
	}
	if _, err := pinsA.Get(ctx(t), "site-a.session.r1"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("a session lock of site-a: %v, want none", err)
	}
	stream, err := b.notif.js.Stream(ctx(t), proto.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	if sinfo, err := stream.Info(ctx(t)); err != nil || sinfo.State.Msgs != 1 {
		t.Errorf("the results stream: %v, %v; want site-a's one result", sinfo.State, err)
	}
	if err := job1.DoubleAck(ctx(t)); err != nil {
		t.Errorf("worker-site-a acks its first job: %v", err)
	}
	if job2, err := consA.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil || string(job2.Data()) != "job 2 of site-a" {
		t.Errorf("worker-site-a pulls its second job: %v", err)
	}
}

// TestLeafKeysStayInTheirPlace: a leaf node's key is no client's, and a
// client's key is no leaf node's.
func TestLeafKeysStayInTheirPlace(t *testing.T) {
	sites := natsauthtest.StartHub(t, deployDir)
	for _, role := range []proto.Role{"leaf-site-b"} {
		auth, err := nats.NkeyOptionFromSeed(sites.Keys.SeedFile(role))
		if err != nil {
			t.Fatal(err)
		}
		if nc, err := nats.Connect(sites.Hub.ClientURL(), auth); err == nil {
			nc.Close()
			t.Errorf("%s connected to the hub as a client", role)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s as a client: %v, want an authorization violation", role, err)
		}
	}
	for _, role := range []proto.Role{"worker-site-b", proto.RoleScheduler} {
		seed, err := sites.Keys.Seed(role)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dialRogue(t, sites.LeafAddr, seed); err == nil || err.Error() != "-ERR 'Authorization Violation'" {
			t.Errorf("%s as a leaf node: %v, want an authorization violation", role, err)
		}
	}
}

// rogueLeaf speaks the leaf node protocol to the hub itself, logging in
// with a key: a leaf host taken over, whose server no longer keeps to
// what the hub told it.
type rogueLeaf struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialRogue connects to the hub's leafnode port at addr and logs in with
// seed; its error is the hub's answer when it refuses.
func dialRogue(t *testing.T, addr string, seed []byte) (*rogueLeaf, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	l := &rogueLeaf{conn: conn, r: bufio.NewReader(conn)}
	line, err := l.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Nonce string }
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "INFO ")), &info); err != nil {
		t.Fatalf("the hub's INFO: %v", err)
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	sig, _ := kp.Sign([]byte(info.Nonce))
	connect, _ := json.Marshal(map[string]any{"nkey": pub, "sig": base64.RawURLEncoding.EncodeToString(sig), "name": "rogue", "headers": true})
	if _, err := fmt.Fprintf(conn, "CONNECT %s\r\n", connect); err != nil {
		t.Fatal(err)
	}
	if _, err := l.roundTrip(); err != nil {
		return nil, err
	}
	return l, nil
}

// roundTrip sends PING and returns the messages the hub sent before its
// PONG (leaving out its INFO and its subscriptions), or its error when it
// closes the connection instead.
func (l *rogueLeaf) roundTrip() ([]string, error) {
	if _, err := io.WriteString(l.conn, "PING\r\n"); err != nil {
		return nil, err
	}
	var got []string
	for {
		line, err := l.r.ReadString('\n')
		line = strings.TrimSpace(line)
		switch {
		case line == "PONG":
			return got, nil
		case strings.HasPrefix(line, "-ERR"):
			return got, errors.New(line)
		case err != nil:
			return got, err
		case strings.HasPrefix(line, "LMSG"):
			payload, _ := l.r.ReadString('\n')
			got = append(got, line+" "+strings.TrimSpace(payload))
		}
	}
}

// subscribe tells the hub the leaf node has interest in subject.
func (l *rogueLeaf) subscribe(subject string) error {
	_, err := fmt.Fprintf(l.conn, "LS+ %s\r\n", subject)
	return err
}

// send publishes data to subject with reply into the hub, as a message
// from one of the leaf node's clients.
func (l *rogueLeaf) send(subject, reply string, data []byte) error {
	_, err := fmt.Fprintf(l.conn, "LMSG %s %s %d\r\n%s\r\n", subject, reply, len(data), data)
	return err
}

func TestWriteLeafConfigs(t *testing.T) {
	worker := natsauth.User{Role: "worker-dc2", Nkey: "UWORKER"}
	for _, tt := range []struct {
		name  string
		write func(io.Writer) error
		want  string // in the text written, or the error
		err   bool
	}{
		{"hub URLs as given", func(w io.Writer) error {
			return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: worker, Domain: "hub",
				Hub: "nats-leaf://hub1.example.net:7422, tls://hub2.example.net:7422"}, false, "")
		}, `urls: ["nats-leaf://hub1.example.net:7422", "tls://hub2.example.net:7422"]`, false},
		{"the worker's key as given, the seed from the environment", func(w io.Writer) error {
			return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: worker, Domain: "hub"}, false, "")
		}, "nkey: UWORKER\n", false},
		{"a hub URL with a password", func(w io.Writer) error {
			return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: worker, Domain: "hub", Hub: "nats://u:p@hub:7422"}, false, "")
		}, `hub URL "nats://u:p@hub:7422" is not a leafnode URL`, true},
		{"a hub URL that closes the string", func(w io.Writer) error {
			return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: worker, Domain: "hub", Hub: `nats-leaf://hub:7422"]}`}, false, "")
		}, "is not a leafnode URL", true},
		{"a leaf node without a domain", func(w io.Writer) error {
			return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: worker}, false, "")
		}, "leaf configuration of site dc2: jetstream domain is empty", true},
		{"a leaf node of the CLI", func(w io.Writer) error {
			return natsauth.WriteLeafConfig(w, natsauth.Leaf{Worker: natsauth.User{Role: proto.RoleCLI}, Domain: "hub"}, false, "")
		}, "cli is not a site's workers' role", true},
		{"a hub without a domain", func(w io.Writer) error {
			return natsauth.WriteHubConfig(w, []natsauth.User{worker}, "", false, "")
		}, "hub configuration: jetstream domain is empty", true},
		{"a hub in a domain that is no token", func(w io.Writer) error {
			return natsauth.WriteHubConfig(w, []natsauth.User{worker}, "hub.>", false, "")
		}, `jetstream domain "hub.>" is not a valid name`, true},
	} {
		var b strings.Builder
		err := tt.write(&b)
		switch {
		case tt.err && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		case !tt.err && (err != nil || !strings.Contains(b.String(), tt.want)):
			t.Errorf("%s: %v, want %q in\n%s", tt.name, err, tt.want, b.String())
		}
	}
}
