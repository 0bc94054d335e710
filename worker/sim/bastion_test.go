package sim

import (
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

const bastionFleet = `devices:
  - name: r1
    platform: cisco_iosxe
    username: admin
    password: dev-pw
    targets: {10.0.0.1: up}
bastions:
  - name: b1
    username: jumper
    password: jump-pw
    login: {lockout: {after: 3, for: 1m}}
    ssh: {host_key_seed: b1-first}
`

func TestParseBastions(t *testing.T) {
	f := mustParse(t, bastionFleet)
	want := []Device{{Name: "b1", Username: "jumper", Password: "jump-pw",
		Login: LoginBehaviour{Lockout: Lockout{After: 3, Within: time.Minute, For: time.Minute}},
		SSH:   SSHBehaviour{HostKeySeed: "b1-first"}}}
	if !reflect.DeepEqual(f.Bastions, want) {
		t.Errorf("bastions:\n got %+v\nwant %+v", f.Bastions, want)
	}
	if len(f.Devices) != 1 || f.Devices[0].Name != "r1" {
		t.Errorf("devices: %+v", f.Devices)
	}
}

func TestParseBastionErrors(t *testing.T) {
	const dev = "devices:\n  - name: r1\n    port: 2201\n    platform: cisco_nxos\n    username: u\n    password: p\n"
	cases := []struct{ name, yaml, want string }{
		{"not a list", dev + "bastions: b1\n", "line 7: bastions: must be a list"},
		{"not a mapping", dev + "bastions: [b1]\n", "line 7: bastions[0]: must be a mapping"},
		{"missing fields", dev + "bastions:\n  - port: 2300\n",
			"line 8: bastions[0]: name: missing\nline 8: bastions[0]: username: missing\nline 8: bastions[0]: password: missing"},
		{"router keys", dev + "bastions:\n  - { name: b1, username: u, password: p, platform: cisco_nxos, targets: {10.0.0.1: up} }\n",
			"line 8: bastions[0] (b1): platform: unknown field\nline 8: bastions[0] (b1): targets: unknown field"},
		{"lands in", dev + "bastions:\n  - { name: b1, username: u, password: p, login: {lands_in: privileged} }\n",
			"line 8: bastions[0] (b1): login.lands_in: a bastion has no CLI to land in"},
		{"name of a device", dev + "bastions:\n  - { name: r1, username: u, password: p }\n",
			`line 8: bastions[0] (r1): name: "r1" is already used by devices[0]`},
		{"port of a device", dev + "bastions:\n  - { name: b1, port: 2201, username: u, password: p }\n",
			"line 8: bastions[0] (b1): port: 2201 is already used by devices[0]"},
		{"bad name", dev + "bastions:\n  - { name: b 1, username: u, password: p }\n",
			`line 8: bastions[0] (b 1): name: "b 1" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFleet([]byte(tc.yaml))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// viaBastion logs in to the bastion b1 as user with pass.
func viaBastion(t *testing.T, s *Server, pass string) (*ssh.Client, error) {
	t.Helper()
	addr, _ := s.Addr("b1")
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "jumper", Auth: []ssh.AuthMethod{ssh.Password(pass)},
		HostKeyCallback: ssh.FixedHostKey(DeriveHostKey("b1-first", KeyED25519).PublicKey()), Timeout: 5 * time.Second})
}

// deviceThrough logs in to device name over a channel the bastion
// forwards to addr.
func deviceThrough(t *testing.T, jump *ssh.Client, addr, name, user, pass string) *ssh.Client {
	t.Helper()
	conn, err := jump.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("forward to %s: %v", addr, err)
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(pass)},
		HostKeyCallback: ssh.FixedHostKey(HostPublicKey(name))})
	if err != nil {
		t.Fatalf("log in to %s through the bastion: %v", name, err)
	}
	return ssh.NewClient(c, chans, reqs)
}

// TestBastionForwardsToDevices logs in to a device through the bastion:
// the forward is recorded, and the device saw the login come from the
// bastion's connection. The bastion serves no shell, and refuses a wrong
// password like a device.
func TestBastionForwardsToDevices(t *testing.T) {
	s := startServer(t, mustParse(t, bastionFleet))
	if _, err := viaBastion(t, s, "wrong"); err == nil {
		t.Fatal("the bastion let a wrong password in")
	}
	jump, err := viaBastion(t, s, "jump-pw")
	if err != nil {
		t.Fatalf("log in to the bastion: %v", err)
	}
	defer jump.Close()
	if string(jump.ServerVersion()) != bastionVersion {
		t.Errorf("bastion version %q", jump.ServerVersion())
	}
	if _, err := jump.NewSession(); err == nil {
		t.Error("the bastion opened a session channel")
	}
	addr, _ := s.Addr("r1")
	dev := deviceThrough(t, jump, addr, "r1", "admin", "dev-pw")
	if out := execOutput(t, dev, "ping 10.0.0.1"); !strings.Contains(out, "Success rate is 100 percent") {
		t.Errorf("ping through the bastion:\n%s", out)
	}
	dev.Close()

	fw := s.Forwards("b1")
	if len(fw) != 1 || !fw[0].Allowed || fw[0].Device != "r1" || fw[0].Target != addr || fw[0].User != "jumper" || fw[0].From == "" {
		t.Fatalf("forwards %+v, want one allowed to r1 at %s by jumper", fw, addr)
	}
	logins := s.AuthAttempts("r1")
	if len(logins) != 1 || !logins[0].Accepted || logins[0].Remote != fw[0].From {
		t.Errorf("r1's logins %+v, want one accepted from the bastion's %s", logins, fw[0].From)
	}
	var accepted []bool
	for _, a := range s.AuthAttempts("b1") {
		accepted = append(accepted, a.Accepted)
	}
	if !reflect.DeepEqual(accepted, []bool{false, true}) {
		t.Errorf("bastion logins accepted %v, want a refused then an accepted one", accepted)
	}
	if s.Forwards("r1") != nil || s.Forwards("nosuch") != nil {
		t.Error("Forwards of a device or of nothing is not nil")
	}
}

// TestBastionRefusesOtherTargets asks the bastion for everything but a
// device of the fleet on 127.0.0.1: each is refused as prohibited and
// recorded, and nothing is connected to.
func TestBastionRefusesOtherTargets(t *testing.T) {
	s := startServer(t, mustParse(t, bastionFleet))
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := other.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	jump, err := viaBastion(t, s, "jump-pw")
	if err != nil {
		t.Fatal(err)
	}
	defer jump.Close()
	r1, b1 := strconv.Itoa(s.Port("r1")), strconv.Itoa(s.Port("b1"))
	targets := []string{other.Addr().String(), "10.0.0.1:22", "localhost:" + r1, "[::1]:" + r1, "127.0.0.2:" + r1, "127.0.0.1:" + b1}
	for _, target := range targets {
		_, err := jump.Dial("tcp", target)
		var oe *ssh.OpenChannelError
		if !errors.As(err, &oe) || oe.Reason != ssh.Prohibited {
			t.Errorf("forward to %s: %v, want prohibited", target, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the bastion connected %d times to an address outside the fleet", n)
	}
	fw := s.Forwards("b1")
	if len(fw) != len(targets) {
		t.Fatalf("%d forwards recorded, want %d: %+v", len(fw), len(targets), fw)
	}
	for i, f := range fw {
		if f.Allowed || f.Device != "" || f.From != "" || f.Target != targets[i] {
			t.Errorf("forward %d: %+v, want a refused one to %s", i, f, targets[i])
		}
	}
}

// TestBastionReloadAndClose: a reload keeps the bastion and its record and
// changes where it forwards (to an added device, no longer to a removed
// one); closing the server ends an open forward.
func TestBastionReloadAndClose(t *testing.T) {
	s := startServer(t, mustParse(t, bastionFleet))
	jump, err := viaBastion(t, s, "jump-pw")
	if err != nil {
		t.Fatal(err)
	}
	defer jump.Close()
	oldAddr, _ := s.Addr("r1")
	deviceThrough(t, jump, oldAddr, "r1", "admin", "dev-pw").Close()
	if err := s.Reload(mustParse(t, strings.Replace(bastionFleet, "name: r1", "name: r2", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := jump.Dial("tcp", oldAddr); err == nil {
		t.Error("the bastion forwarded to a removed device")
	}
	addr, _ := s.Addr("r2")
	open := deviceThrough(t, jump, addr, "r2", "admin", "dev-pw")
	defer open.Close()
	if fw := s.Forwards("b1"); len(fw) != 3 || fw[2].Device != "r2" {
		t.Errorf("forwards after the reload: %+v", fw)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with a forward open")
	}
}
