package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// The passwords of the jump fleet: each test checks that no text holds
// them.
const (
	jumpPassword   = "jump-pw-9f3"
	devicePassword = "dev-pw-41c"
)

// jumpFleet is a device r1 behind the bastion b1, and a bastion old that
// speaks only IOS 12's key exchange; b1's host key derives from seed.
func jumpFleet(seed string) string {
	return `devices:
  - name: r1
    platform: cisco_iosxe
    username: admin
    password: ` + devicePassword + `
    targets: { 10.0.0.1: up }
bastions:
  - name: b1
    username: jumper
    password: ` + jumpPassword + `
    ssh: { host_key_seed: ` + seed + ` }
  - name: old
    username: jumper
    password: ` + jumpPassword + `
    ssh: { algorithms: legacy-group1 }
`
}

func startJumpFleet(t *testing.T) *sim.Server {
	t.Helper()
	return simtest.Start(t, jumpFleet("b1-first"))
}

// behindJump is r1 of srv reached through the bastion called jump.
func behindJump(srv *sim.Server, jump string) Device {
	return Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: srv.Port("r1"), Platform: "cisco_iosxe",
		Credential: "lab", Username: "admin", Password: devicePassword,
		Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}},
		Jump: JumpHost{Name: jump, Host: "127.0.0.1", Port: srv.Port(jump), Credential: "bastion",
			Username: "jumper", Password: jumpPassword}}
}

// tofuProber checks host keys on first use with pins in a file of its own.
func tofuProber(t *testing.T) (*Prober, Pins) {
	pins := &FilePins{Path: filepath.Join(t.TempDir(), "pins.json")}
	return &Prober{HostKeys: TrustOnFirstUse{Pins: pins, Worker: "w1"}, ConnectTimeout: 2 * time.Second, SetupTimeout: 5 * time.Second}, pins
}

// noSecrets fails the test when text holds a password of the jump fleet.
func noSecrets(t *testing.T, text string) {
	t.Helper()
	for _, pw := range []string{jumpPassword, devicePassword} {
		if strings.Contains(text, pw) {
			t.Errorf("%q holds a password", text)
		}
	}
}

// forwardedLogins checks that every login r1 saw came over a channel
// the bastion forwarded to it.
func forwardedLogins(t *testing.T, srv *sim.Server, bastion string) {
	t.Helper()
	from := map[string]bool{}
	for _, f := range srv.Forwards(bastion) {
		if f.Allowed && f.Device == "r1" {
			from[f.From] = true
		}
	}
	logins := srv.AuthAttempts("r1")
	if len(logins) == 0 {
		t.Fatal("r1 saw no login")
	}
	for _, a := range logins {
		if !from[a.Remote] {
			t.Errorf("r1 saw a login from %s, not through %s (forwards from %v)", a.Remote, bastion, from)
		}
	}
}

// TestProbeThroughJumpHost probes r1 through a bastion: UP, both keys
// pinned, the device's login over the bastion's forward; and every way the
// way through can fail reads as the jump host's failure, the device
// never seeing a login.
func TestProbeThroughJumpHost(t *testing.T) {
	tests := []struct {
		name      string
		jump      string
		change    func(d *Device)
		algos     Algorithms // offered to the jump host
		failure   FailureKind
		texts     []string
		reachesR1 bool
	}{
		{name: "up", jump: "b1", reachesR1: true},
		{name: "jump host refuses the password", jump: "b1", change: func(d *Device) { d.Jump.Password = "not-it" },
			failure: FailureAuth, texts: []string{`jump host b1 (127.0.0.1:`, `refused the login of credential "bastion"`}},
		{name: "jump host may not forward there", jump: "b1", change: func(d *Device) { d.Port = closedPortNumber() },
			failure: FailureUnreachable, texts: []string{"jump host b1 could not reach 127.0.0.1:", "administratively prohibited"}},
		{name: "jump host may not forward to another host", jump: "b1", change: func(d *Device) { d.Host = "192.0.2.7" },
			failure: FailureUnreachable, texts: []string{"jump host b1 could not reach 192.0.2.7:"}},
		{name: "device refuses its password", jump: "b1", change: func(d *Device) { d.Password = "not-it" },
			failure: FailureAuth, texts: []string{"open session: ssh handshake"}, reachesR1: true},
		{name: "jump host speaks only legacy algorithms", jump: "old", failure: FailureSSHNegotiation,
			texts: []string{"jump host old (127.0.0.1:", "the jump host offers diffie-hellman-group1-sha1",
				"allow them for this jump host with jump_hosts.old.ssh: { legacy: true }"}},
		{name: "legacy algorithms allowed for the jump host", jump: "old", algos: LegacyAlgorithms(), reachesR1: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startJumpFleet(t)
			p, pins := tofuProber(t)
			d := behindJump(srv, tt.jump)
			d.Jump.Algorithms = tt.algos
			if tt.change != nil {
				tt.change(&d)
			}
			res := p.Probe(context.Background(), d)
			t.Logf("%v: %s", res.Failure, res.FailureText)
			noSecrets(t, res.FailureText)
			if res.Failure != tt.failure {
				t.Fatalf("%v %q, want %v", res.Failure, res.FailureText, tt.failure)
			}
			for _, want := range tt.texts {
				if !strings.Contains(res.FailureText, want) {
					t.Errorf("failure text %q lacks %q", res.FailureText, want)
				}
			}
			if tt.failure != FailureNone && tt.reachesR1 == strings.Contains(res.FailureText, "jump host") {
				t.Errorf("failure text %q: a failure of the %s must name the jump host only when it is the jump host's",
					res.FailureText, map[bool]string{true: "device", false: "jump host"}[tt.reachesR1])
			}
			if !tt.reachesR1 {
				if n := len(srv.AuthAttempts("r1")); n != 0 {
					t.Errorf("r1 saw %d logins", n)
				}
				return
			}
			forwardedLogins(t, srv, tt.jump)
			if tt.failure == FailureNone {
				if len(res.Links) != 1 || res.Links[0].Status != ping.StatusUp {
					t.Errorf("links %+v, want 10.0.0.1 UP", res.Links)
				}
				for _, name := range []string{"r1", tt.jump} {
					if pin, err := pins.Pinned(context.Background(), "dc1", name); err != nil || pin == nil {
						t.Errorf("%s not pinned at site dc1: %v", name, err)
					}
				}
			}
		})
	}
}

// closedPortNumber is a loopback port nothing listens on, and that no
// device of a fleet has.
func closedPortNumber() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestJumpHostKeyChanged: the bastion, pinned at first contact, presents
// another key: HOSTKEY_MISMATCH naming the jump host and how to forget
// its pin, and neither the bastion nor the device is sent a password.
func TestJumpHostKeyChanged(t *testing.T) {
	srv := startJumpFleet(t)
	p, pins := tofuProber(t)
	if res := p.Probe(context.Background(), behindJump(srv, "b1")); res.Failed() {
		t.Fatalf("first contact: %v %s", res.Failure, res.FailureText)
	}
	fleet, err := sim.ParseFleet([]byte(jumpFleet("b1-second")))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Reload(fleet); err != nil {
		t.Fatal(err)
	}
	bastionLogins, deviceLogins := len(srv.AuthAttempts("b1")), len(srv.AuthAttempts("r1"))
	res := p.Probe(context.Background(), behindJump(srv, "b1"))
	t.Logf("%v: %s", res.Failure, res.FailureText)
	if res.Failure != FailureHostKeyMismatch {
		t.Fatalf("%v %q, want HOSTKEY_MISMATCH", res.Failure, res.FailureText)
	}
	for _, want := range []string{"jump host b1 (127.0.0.1:", "host key changed", "no password was sent", pins.ForgetHint("dc1", "b1")} {
		if !strings.Contains(res.FailureText, want) {
			t.Errorf("failure text %q lacks %q", res.FailureText, want)
		}
	}
	if n := len(srv.AuthAttempts("b1")) - bastionLogins; n != 0 {
		t.Errorf("the bastion with a changed key saw %d logins", n)
	}
	if n := len(srv.AuthAttempts("r1")) - deviceLogins; n != 0 {
		t.Errorf("the device behind it saw %d logins", n)
	}
}

// TestJumpHostHangs: a jump host that accepts the connection and never
// speaks SSH is a TIMEOUT naming it, within the connect timeout; a
// cancelled probe returns at once; a jump host with nothing listening is
// REFUSED, naming it.
func TestJumpHostHangs(t *testing.T) {
	const connect = 300 * time.Millisecond
	device := func(jumpPort int) Device {
		return Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: 22, Platform: "cisco_iosxe",
			Username: "admin", Password: devicePassword, Targets: []ping.Params{target("10.0.0.1")},
			Jump: JumpHost{Name: "b1", Host: "127.0.0.1", Port: jumpPort, Credential: "bastion", Username: "jumper", Password: jumpPassword}}
	}
	p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: connect}
	start := time.Now()
	res := p.Probe(context.Background(), device(silentServer(t)))
	t.Logf("%v: %s", res.Failure, res.FailureText)
	if took := time.Since(start); took > connect+2*time.Second {
		t.Errorf("the probe took %v with a connect timeout of %v", took, connect)
	}
	if res.Failure != FailureTimeout || !strings.Contains(res.FailureText, "jump host b1 (127.0.0.1:") {
		t.Errorf("silent jump host: %v %q, want TIMEOUT naming jump host b1", res.Failure, res.FailureText)
	}

	p.ConnectTimeout = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan DeviceResult)
	go func() { done <- p.Probe(ctx, device(silentServer(t))) }()
	cancel()
	select {
	case res := <-done:
		if res.Failure != FailureTimeout || !strings.Contains(res.FailureText, "jump host b1") {
			t.Errorf("cancelled: %v %q, want TIMEOUT naming jump host b1", res.Failure, res.FailureText)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Probe did not return after its context was cancelled")
	}

	p.ConnectTimeout = connect
	res = p.Probe(context.Background(), device(closedPort(t)))
	if res.Failure != FailureRefused || !strings.Contains(res.FailureText, "jump host b1 (127.0.0.1:") {
		t.Errorf("closed jump host: %v %q, want REFUSED naming jump host b1", res.Failure, res.FailureText)
	}
	noSecrets(t, res.FailureText)
}

// TestScanThroughJumpHost reads r1's host key through the bastion: the
// bastion is logged in to once, r1 never.
func TestScanThroughJumpHost(t *testing.T) {
	srv := startJumpFleet(t)
	p, _ := tofuProber(t)
	keys, err := p.ScanHostKeys(context.Background(), behindJump(srv, "b1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || string(keys[0].Marshal()) != string(sim.HostPublicKey("r1").Marshal()) {
		t.Errorf("scan found %d keys, want r1's", len(keys))
	}
	if n := len(srv.AuthAttempts("r1")); n != 0 {
		t.Errorf("the scan logged in to r1 %d times", n)
	}
	if logins := srv.AuthAttempts("b1"); len(logins) != 1 || !logins[0].Accepted {
		t.Errorf("bastion logins %+v, want one", logins)
	}
	if n := len(srv.Forwards("b1")); n != len(hostKeyFamilies) {
		t.Errorf("%d forwards, want one per kind of key (%d)", n, len(hostKeyFamilies))
	}

	d := behindJump(srv, "b1")
	d.Jump.Password = "not-it"
	_, err = p.ScanHostKeys(context.Background(), d)
	if err == nil || !strings.Contains(err.Error(), "jump host b1") {
		t.Errorf("scan through a bastion refusing the password: %v, want an error naming jump host b1", err)
	}
	if err != nil {
		noSecrets(t, err.Error())
	}
	if n := len(srv.AuthAttempts("r1")); n != 0 {
		t.Errorf("the scan logged in to r1 %d times", n)
	}
	if _, err := (&Prober{}).ScanHostKeys(context.Background(), behindJump(srv, "b1")); err == nil {
		t.Error("a scan without a host key policy went through a jump host")
	}
}

// TestChannelConnDeadline: a channel's deadline ends a blocked read with
// os.ErrDeadlineExceeded; a cleared one does not.
func TestChannelConnDeadline(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := &channelConn{Conn: a}
	if err := c.SetDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = b.Write([]byte("x")) }()
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatalf("read with the deadline cleared: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) || !isTimeout(err) {
		t.Errorf("read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

// TestJumpHostCredentials resolves the jump host's credential with the
// device's, and refuses a job whose jump host is not valid.
func TestJumpHostCredentials(t *testing.T) {
	creds := func(name string) (Login, error) {
		switch name {
		case "lab":
			return Login{Username: "admin", Password: devicePassword}, nil
		case "bastion":
			return Login{Username: "jumper", Password: jumpPassword}, nil
		}
		return Login{}, fmt.Errorf("no credential %s", name)
	}
	d := Device{Name: "r1", Host: "127.0.0.1", Port: 22, Credential: "lab",
		Jump: JumpHost{Name: "b1", Host: "127.0.0.1", Port: 2222, Credential: "bastion"}}
	got, err := d.WithCredentials(creds)
	if err != nil {
		t.Fatal(err)
	}
	if got.Jump.Username != "jumper" || got.Jump.Password != jumpPassword || got.Password != devicePassword {
		t.Errorf("resolved %+v", got)
	}
	if d.Jump.Password != "" {
		t.Error("resolving changed the device it was given")
	}
	d.Jump.Credential = "nosuch"
	if _, err := d.WithCredentials(creds); err == nil || !strings.Contains(err.Error(), `credential "nosuch" of jump host b1`) {
		t.Errorf("unknown jump credential: %v", err)
	}
	for _, j := range []JumpHost{{Name: "b.1", Host: "127.0.0.1", Port: 22}, {Name: "b1", Host: "-oProxyCommand=x", Port: 22},
		{Name: "b1", Host: "127.0.0.1", Port: 0}} {
		d.Jump = j
		if err := d.Validate(); err == nil || !strings.HasPrefix(err.Error(), "jump host: ") {
			t.Errorf("jump host %+v: %v, want it refused", j, err)
		}
	}
}
