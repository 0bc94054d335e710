package app

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/scheduler"
)

const natsSecret = "s3cret-NATS"

// startTestNATS runs an embedded NATS server on a free loopback port with the
// given users, nkeys, TLS or trusted operator, shut down when the test
// ends. setup, if not nil, runs once the server exists and before it
// starts (to install an account resolver).
func startTestNATS(t *testing.T, opts *server.Options, setup func(*server.Server)) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	if setup != nil {
		setup(s)
	}
	s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready after 10s")
	}
	return s
}

// natsConfig is a configuration naming the server at url with n's login.
func natsConfig(url string, n config.NATS) *config.Config {
	n.URL = url
	return &config.Config{Interval: time.Minute, NATS: n}
}

// dial calls Dial and checks that no secret shows in its error.
func dial(t *testing.T, cfg *config.Config) error {
	t.Helper()
	nc, err := Dial(t.Context(), cfg, proto.RoleCLI, "linkwatch test", nil, nats.Timeout(5*time.Second))
	if err != nil {
		if strings.Contains(err.Error(), natsSecret) || strings.Contains(err.Error(), "wrong-"+natsSecret) {
			t.Errorf("Dial error shows a secret: %v", err)
		}
		return err
	}
	nc.Close()
	return nil
}

func TestDialUserPassword(t *testing.T) {
	s := startTestNATS(t, &server.Options{Users: []*server.User{{Username: "lw", Password: natsSecret}}}, nil)
	dir := t.TempDir()
	good := writeSecret(t, dir, "good.pass", natsSecret+"\n", 0o600)
	wrong := writeSecret(t, dir, "wrong.pass", "wrong-"+natsSecret, 0o600)
	open := writeSecret(t, dir, "open.pass", natsSecret, 0o644)
	t.Setenv("LW_TEST_NATS_PASSWORD", natsSecret)
	t.Setenv("LW_TEST_NATS_WRONG", "wrong-"+natsSecret)
	for _, tc := range []struct {
		name string
		n    config.NATS
		err  string // "" for success, else the error's end
	}{
		{"env", config.NATS{User: "lw", PasswordEnv: "LW_TEST_NATS_PASSWORD"}, ""},
		{"file", config.NATS{User: "lw", PasswordFile: good}, ""},
		{"wrong env", config.NATS{User: "lw", PasswordEnv: "LW_TEST_NATS_WRONG"}, ": nats: Authorization Violation"},
		{"wrong file", config.NATS{User: "lw", PasswordFile: wrong}, ": nats: Authorization Violation"},
		{"wrong user", config.NATS{User: "ops", PasswordFile: good}, ": nats: Authorization Violation"},
		{"no login", config.NATS{}, ": nats: Authorization Violation"},
		{"open file", config.NATS{User: "lw", PasswordFile: open},
			"nats password: password file " + open + " is readable by group or others (mode 0644): chmod 600 it"},
		{"unset env", config.NATS{User: "lw", PasswordEnv: "LW_TEST_NATS_UNSET"},
			"nats password: environment variable LW_TEST_NATS_UNSET is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := dial(t, natsConfig(s.ClientURL(), tc.n))
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("Dial: %v", err)
			case tc.err != "" && (err == nil || !strings.HasSuffix(err.Error(), tc.err)):
				t.Errorf("Dial error = %v, want it to end with %q", err, tc.err)
			}
		})
	}
}

func TestDialNkey(t *testing.T) {
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	s := startTestNATS(t, &server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}}}, nil)
	dir := t.TempDir()
	good := writeSecret(t, dir, "lw.nk", string(seed)+"\n", 0o600)
	if err := dial(t, natsConfig(s.ClientURL(), config.NATS{NkeySeedFile: good})); err != nil {
		t.Errorf("Dial with the seed: %v", err)
	}
	wrong := writeSecret(t, dir, "other.nk", string(otherSeed), 0o600)
	if err := dial(t, natsConfig(s.ClientURL(), config.NATS{NkeySeedFile: wrong})); err == nil ||
		!strings.HasSuffix(err.Error(), ": nats: Authorization Violation") {
		t.Errorf("Dial with another seed: error = %v, want an authorization violation", err)
	}
	open := writeSecret(t, dir, "open.nk", string(seed), 0o640)
	err = dial(t, natsConfig(s.ClientURL(), config.NATS{NkeySeedFile: open}))
	if want := "nats.nkey_seed_file: " + open + " is readable by group or others (mode 0640): chmod 600 it"; err == nil || err.Error() != want {
		t.Errorf("Dial with an open seed file: error = %v, want %s", err, want)
	}
	if err == nil || strings.Contains(err.Error(), string(seed)) {
		t.Errorf("the error shows the seed: %v", err)
	}
}

// TestJetStreamDomain: nats.jetstream_domain makes the JetStream API
// $JS.<domain>.API (TestWorkerThroughLeaf uses it through a leaf node).
// TestJetStreamPublishAckTimesOut publishes asynchronously to a subject
// whose only subscriber never answers, as when an ack is lost: the publish
// must fail with jetstream.ErrAsyncPublishTimeout within
// scheduler.AckTimeout and leave nothing pending. Without the timeout it
// stayed pending for good, and enough of them stalled every publish.
func TestJetStreamPublishAckTimesOut(t *testing.T) {
	t.Parallel()
	s := startTestNATS(t, &server.Options{}, nil)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.SubscribeSync("lw.test.lost"); err != nil { // answers nothing, so no "no responders"
		t.Fatal(err)
	}
	js, err := JetStream(&config.Config{}, nc)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.PublishAsync("lw.test.lost", []byte("job"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ack.Err():
		if !errors.Is(err, jetstream.ErrAsyncPublishTimeout) {
			t.Fatalf("publish failed with %v, want %v", err, jetstream.ErrAsyncPublishTimeout)
		}
	case <-ack.Ok():
		t.Fatal("publish acked, but nothing answers")
	case <-time.After(scheduler.AckTimeout + 5*time.Second):
		t.Fatalf("publish neither acked nor failed %v after it was sent", scheduler.AckTimeout+5*time.Second)
	}
	if n := js.PublishAsyncPending(); n != 0 {
		t.Errorf("%d publishes still pending after the timeout, want 0", n)
	}
}

func TestJetStreamDomain(t *testing.T) {
	s := startTestNATS(t, &server.Options{}, nil)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, domain := range []string{"", "hub"} {
		js, err := JetStream(&config.Config{NATS: config.NATS{JetStreamDomain: domain}}, nc)
		if err != nil {
			t.Fatal(err)
		}
		if got := js.Options().Domain; got != domain {
			t.Errorf("JetStream with nats.jetstream_domain %q: domain %q", domain, got)
		}
	}
}

func TestDialCreds(t *testing.T) {
	operator, _ := nkeys.CreateOperator()
	opPub, _ := operator.PublicKey()
	account, _ := nkeys.CreateAccount()
	accPub, _ := account.PublicKey()
	accJWT, err := jwt.NewAccountClaims(accPub).Encode(operator)
	if err != nil {
		t.Fatal(err)
	}
	creds := func(signer nkeys.KeyPair) string {
		user, _ := nkeys.CreateUser()
		pub, _ := user.PublicKey()
		seed, _ := user.Seed()
		userJWT, err := jwt.NewUserClaims(pub).Encode(signer)
		if err != nil {
			t.Fatal(err)
		}
		text, err := jwt.FormatUserConfig(userJWT, seed)
		if err != nil {
			t.Fatal(err)
		}
		return string(text)
	}
	s := startTestNATS(t, &server.Options{TrustedKeys: []string{opPub}}, func(s *server.Server) {
		r := &server.MemAccResolver{}
		if err := r.Store(accPub, accJWT); err != nil {
			t.Fatal(err)
		}
		s.SetAccountResolver(r)
	})
	dir := t.TempDir()
	good := writeSecret(t, dir, "lw.creds", creds(account), 0o600)
	if err := dial(t, natsConfig(s.ClientURL(), config.NATS{CredsFile: good})); err != nil {
		t.Errorf("Dial with the creds file: %v", err)
	}
	stranger, _ := nkeys.CreateAccount()
	wrong := writeSecret(t, dir, "stranger.creds", creds(stranger), 0o600)
	if err := dial(t, natsConfig(s.ClientURL(), config.NATS{CredsFile: wrong})); err == nil {
		t.Errorf("Dial with a user of an unknown account succeeded")
	}
	open := writeSecret(t, dir, "open.creds", creds(account), 0o604)
	err = dial(t, natsConfig(s.ClientURL(), config.NATS{CredsFile: open}))
	if want := "nats.creds_file: " + open + " is readable by group or others (mode 0604): chmod 600 it"; err == nil || err.Error() != want {
		t.Errorf("Dial with an open creds file: error = %v, want %s", err, want)
	}
}

func TestDialTLS(t *testing.T) {
	pki := newPKI(t)
	s := startTestNATS(t, &server.Options{TLS: true, TLSVerify: true, TLSTimeout: 5, TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{pki.Server}, ClientCAs: pki.CAs, ClientAuth: tls.RequireAndVerifyClientCert,
		MinVersion: tls.VersionTLS12}}, nil)
	url := s.ClientURL()
	if err := dial(t, natsConfig(url, config.NATS{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: pki.ClientKey})); err != nil {
		t.Errorf("Dial with the CA and a client certificate: %v", err)
	}
	if err := dial(t, natsConfig(url, config.NATS{CertFile: pki.ClientCert, KeyFile: pki.ClientKey})); err == nil ||
		!strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("Dial without the CA: error = %v, want the server's certificate refused", err)
	}
	if err := dial(t, natsConfig(url, config.NATS{CAFile: pki.CAFile})); err == nil {
		t.Errorf("Dial without a client certificate succeeded")
	}
	if err := dial(t, natsConfig(url, config.NATS{CAFile: pki.ClientCert + ".missing"})); err == nil ||
		!strings.HasPrefix(err.Error(), "nats.ca_file: ") {
		t.Errorf("Dial with a missing CA file: error = %v, want it named", err)
	}
	openKey := writeSecret(t, t.TempDir(), "client.key", "not read", 0o644)
	err := dial(t, natsConfig(url, config.NATS{CAFile: pki.CAFile, CertFile: pki.ClientCert, KeyFile: openKey}))
	if want := "nats.key_file: " + openKey + " is readable by group or others (mode 0644): chmod 600 it"; err == nil || err.Error() != want {
		t.Errorf("Dial with an open key file: error = %v, want %s", err, want)
	}
}

// TestConnectUserPassword checks that the services' Connect logs in and
// makes the streams.
func TestConnectUserPassword(t *testing.T) {
	s := startTestNATS(t, &server.Options{JetStream: true, StoreDir: t.TempDir(),
		Users: []*server.User{{Username: "lw", Password: natsSecret}}}, nil)
	t.Setenv("LW_TEST_NATS_PASSWORD", natsSecret)
	nc, js, err := Connect(t.Context(), natsConfig(s.ClientURL(), config.NATS{User: "lw", PasswordEnv: "LW_TEST_NATS_PASSWORD"}), proto.RoleScheduler, nil, nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	defer nc.Close()
	if names := js.StreamNames(t.Context()); names.Err() != nil {
		t.Errorf("stream names: %v", names.Err())
	}
}

// TestDialErrorHidesPassword dials closed loopback ports with passwords
// and tokens in the URLs: the error names the servers, never a secret.
func TestDialErrorHidesPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	for _, tc := range []struct{ url, want string }{
		{fmt.Sprintf("nats://lw:%s@127.0.0.1:%d", natsSecret, port),
			fmt.Sprintf("connect to nats nats://lw:xxxxx@127.0.0.1:%d: nats: no servers available for connection", port)},
		{fmt.Sprintf("nats://lw:%s@127.0.0.1:%d, %s@127.0.0.1:%d", natsSecret, port, natsSecret, port),
			fmt.Sprintf("connect to nats nats://lw:xxxxx@127.0.0.1:%d,nats://xxxxx@127.0.0.1:%d: nats: no servers available for connection", port, port)},
		{fmt.Sprintf("nats://lw:%s@127.0.0.1:port", natsSecret),
			`connect to nats (unparsable URL): invalid port ":port" after host`},
	} {
		err := dial(t, natsConfig(tc.url, config.NATS{}))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Dial(%s) error = %v, want %s", strings.ReplaceAll(tc.url, natsSecret, "…"), err, tc.want)
		}
	}
}

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                        "nats://127.0.0.1:4222",
		"nats://lw:pw@127.0.0.1:4222":                  "nats://lw:xxxxx@127.0.0.1:4222",
		"tls://token@nats.example.net:4222":            "tls://xxxxx@nats.example.net:4222",
		"lw:pw@a:4222, nats://b:4222,tls://c:d@e:4222": "nats://lw:xxxxx@a:4222,nats://b:4222,tls://c:xxxxx@e:4222",
		"nats://lw:p@ss@a:4222":                        "nats://lw:xxxxx@a:4222",
		"nats://lw:12?34@a:4222":                       "(unparsable URL)",
		"nats://lw:p/w@a:4222":                         "(unparsable URL)",
		"nats://a:4222/x#y@z":                          "(unparsable URL)",
	} {
		if got := RedactURLs(in); got != want {
			t.Errorf("RedactURLs(%q) = %q, want %q", in, got, want)
		}
	}
}
