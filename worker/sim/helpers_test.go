package sim

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// allPlatforms are the platforms every per-platform test runs on: those of
// package ping's table.
var allPlatforms = ping.Platforms()

// testFleet is one device per platform, each with every behaviour.
func testFleet(t *testing.T, delay string) *Fleet {
	t.Helper()
	var b strings.Builder
	b.WriteString("devices:\n")
	for _, p := range allPlatforms {
		fmt.Fprintf(&b, "  - name: %s\n    platform: %s\n    username: admin\n    password: secret\n", strings.ReplaceAll(p, "_", "-"), p)
		if delay != "" {
			fmt.Fprintf(&b, "    delay: %s\n", delay)
		}
		b.WriteString("    targets:\n      10.0.0.1: up\n      10.0.0.2: down\n      10.0.0.3: drop 60\n      10.0.0.4: unknown-host\n      core.example.net: up\n" +
			"      10.0.0.5: flood\n      10.0.0.6: hang\n      10.0.0.7: garbage\n")
	}
	f, err := ParseFleet([]byte(b.String()))
	if err != nil {
		t.Fatalf("parse test fleet: %v", err)
	}
	return f
}

// deviceName is the name testFleet gives the device of a platform.
func deviceName(platform string) string { return strings.ReplaceAll(platform, "_", "-") }

// startServer starts f and closes it when the test ends.
func startServer(t *testing.T, f *Fleet) *Server {
	t.Helper()
	s, err := Start(context.Background(), f, nil)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dial logs into a device with a password.
func dial(t *testing.T, s *Server, name, user, pass string) (*ssh.Client, error) {
	t.Helper()
	addr, ok := s.Addr(name)
	if !ok {
		t.Fatalf("no device %s", name)
	}
	return ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(pass)},
		HostKeyCallback: ssh.FixedHostKey(HostPublicKey(name)),
		Timeout:         5 * time.Second,
	})
}

// shell is an interactive pty session on a device.
type shell struct {
	t     *testing.T
	sess  *ssh.Session
	stdin io.WriteCloser
	out   *waittest.Buffer
	seen  int // output before this offset has been matched already
}

func openShell(t *testing.T, c *ssh.Client) *shell {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1}
	if err := sess.RequestPty("xterm", 24, 80, modes); err != nil {
		t.Fatalf("pty: %v", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		t.Fatalf("stdin: %v", err)
	}
	out := &waittest.Buffer{}
	sess.Stdout = out
	if err := sess.Shell(); err != nil {
		t.Fatalf("shell: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return &shell{t: t, sess: sess, stdin: stdin, out: out}
}

// send types s.
func (s *shell) send(text string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, text); err != nil {
		s.t.Fatalf("type %q: %v", text, err)
	}
}

// expect waits until the output after the last match matches re and
// returns that part of the output.
func (s *shell) expect(re string) string {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	var got string
	waittest.For(s.t, 10*time.Second, func() error {
		all := s.out.String()
		loc := rx.FindStringIndex(all[s.seen:])
		if loc == nil {
			return fmt.Errorf("no %q in output:\n%q", re, all[s.seen:])
		}
		got = all[s.seen : s.seen+loc[1]]
		s.seen += loc[1]
		return nil
	})
	return got
}
