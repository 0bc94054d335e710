package sim

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

func mustParse(t *testing.T, y string) *Fleet {
	t.Helper()
	f, err := ParseFleet([]byte(y))
	if err != nil {
		t.Fatalf("parse fleet: %v", err)
	}
	return f
}

const reloadBefore = `devices:
  - name: r1
    platform: cisco_iosxe
    username: admin
    password: old
    targets: {10.0.0.1: up}
  - name: r2
    platform: juniper_junos
    username: admin
    password: old
`

const reloadAfter = `devices:
  - name: r1
    platform: cisco_iosxe
    username: admin
    password: new
    targets: {10.0.0.1: down}
  - name: r3
    platform: arista_eos
    username: admin
    password: new
`

// TestReload changes behaviours under an open session, closes a removed
// device and opens an added one.
func TestReload(t *testing.T) {
	s := startServer(t, mustParse(t, reloadBefore))
	port := s.Port("r1")
	c1, err := dial(t, s, "r1", "admin", "old")
	if err != nil {
		t.Fatalf("login r1: %v", err)
	}
	defer c1.Close()
	sh := openShell(t, c1)
	sh.expect(`r1#$`)
	sh.send("ping 10.0.0.1\r")
	sh.expect(`Success rate is 100 percent \(5/5\).*\r\nr1#$`)

	c2, err := dial(t, s, "r2", "admin", "old")
	if err != nil {
		t.Fatalf("login r2: %v", err)
	}
	defer c2.Close()
	gone := openShell(t, c2)
	gone.expect(`admin@r2> $`)

	if err := s.Reload(mustParse(t, reloadAfter)); err != nil {
		t.Fatalf("reload: %v", err)
	}
	sh.send("ping 10.0.0.1\r")
	sh.expect(`Success rate is 0 percent \(0/5\)\r\nr1#$`)
	if s.Port("r1") != port {
		t.Errorf("r1 moved from port %d to %d", port, s.Port("r1"))
	}
	ended := make(chan error, 1)
	go func() { ended <- gone.sess.Wait() }()
	select {
	case err := <-ended:
		if err == nil {
			t.Error("removed device's session ended as if the user had left")
		}
	case <-time.After(5 * time.Second):
		t.Error("removed device's session is still open")
	}
	if _, ok := s.Addr("r2"); ok {
		t.Error("removed device r2 still has an address")
	}
	if c, err := dial(t, s, "r1", "admin", "old"); err == nil {
		c.Close()
		t.Error("old password still accepted after reload")
	}
	c3, err := dial(t, s, "r3", "admin", "new")
	if err != nil {
		t.Fatalf("login to added r3: %v", err)
	}
	c3.Close()
}

// TestReloadBadPortChangesNothing keeps the running fleet when a new port
// cannot be bound.
func TestReloadBadPortChangesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer busy.Close()
	s := startServer(t, mustParse(t, reloadBefore))
	port := busy.Addr().(*net.TCPAddr).Port
	bad := strings.Replace(reloadAfter, "  - name: r3\n", "  - name: r3\n    port: "+strconv.Itoa(port)+"\n", 1)
	if err := s.Reload(mustParse(t, bad)); err == nil || !strings.Contains(err.Error(), "device r3: listen") {
		t.Fatalf("reload onto a busy port: %v", err)
	}
	if _, ok := s.Addr("r2"); !ok {
		t.Error("failed reload removed r2")
	}
	c, err := dial(t, s, "r1", "admin", "old")
	if err != nil {
		t.Fatalf("failed reload changed r1's password: %v", err)
	}
	c.Close()
}

// TestHostKeyStable checks two servers present the same key for a name,
// that it is HostPublicKey's, and that a known_hosts file works.
func TestHostKeyStable(t *testing.T) {
	f := mustParse(t, reloadBefore)
	var seen [][]byte
	for range 2 {
		s, err := Start(context.Background(), f, nil)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		addr, _ := s.Addr("r1")
		hosts := filepath.Join(t.TempDir(), "known_hosts")
		line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, HostPublicKey("r1"))
		if err := os.WriteFile(hosts, []byte(line+"\n"), 0o600); err != nil {
			t.Fatalf("write known_hosts: %v", err)
		}
		check, err := knownhosts.New(hosts)
		if err != nil {
			t.Fatalf("known_hosts: %v", err)
		}
		c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User: "admin", Auth: []ssh.AuthMethod{ssh.Password("old")},
			HostKeyCallback: func(h string, a net.Addr, k ssh.PublicKey) error {
				seen = append(seen, k.Marshal())
				return check(h, a, k)
			},
		})
		if err != nil {
			t.Fatalf("dial with known_hosts: %v", err)
		}
		c.Close()
		_ = s.Close()
	}
	if len(seen) != 2 || !bytes.Equal(seen[0], seen[1]) {
		t.Error("host key changed between two starts")
	}
	if bytes.Equal(HostPublicKey("r1").Marshal(), HostPublicKey("r2").Marshal()) {
		t.Error("two devices share a host key")
	}
}

// TestPingAnsweredLog: every ping answered in full is logged at debug level
// with its device, target and the behaviour it was answered with, before
// and after a reload changes that behaviour (make chaos counts these lines).
func TestPingAnsweredLog(t *testing.T) {
	var logs waittest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(context.Background(), mustParse(t, reloadBefore), log)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Close()
	c, err := dial(t, s, "r1", "admin", "old")
	if err != nil {
		t.Fatalf("login r1: %v", err)
	}
	defer c.Close()
	sh := openShell(t, c)
	sh.expect(`#$`)
	sh.send("ping 10.0.0.1 repeat 2\r")
	sh.expect(`Success rate.*\r\nr1#$`)
	want := regexp.MustCompile(`msg="ping answered" device=r1 .*target=10\.0\.0\.1 behaviour=up sent=2 received=2\n`)
	waittest.For(t, 5*time.Second, func() error {
		if !want.MatchString(logs.String()) {
			return fmt.Errorf("no %q in the log:\n%s", want, logs.String())
		}
		return nil
	})
	if err := s.Reload(mustParse(t, strings.Replace(reloadBefore, "10.0.0.1: up", "10.0.0.1: down", 1))); err != nil {
		t.Fatalf("reload: %v", err)
	}
	sh.send("ping 10.0.0.1 repeat 2\r")
	sh.expect(`Success rate.*\r\nr1#$`)
	want = regexp.MustCompile(`msg="ping answered" device=r1 .*target=10\.0\.0\.1 behaviour=down sent=2 received=0\n`)
	waittest.For(t, 5*time.Second, func() error {
		if !want.MatchString(logs.String()) {
			return fmt.Errorf("no %q in the log:\n%s", want, logs.String())
		}
		return nil
	})
}
