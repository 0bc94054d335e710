package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/sim"
)

// simFleet is a one-device fleet whose 10.0.0.1 behaves as given.
func simFleet(behaviour string) string {
	return "devices:\n  - name: r1\n    platform: cisco_iosxe\n    username: admin\n    password: admin\n" +
		"    targets:\n      10.0.0.1: " + behaviour + "\n"
}

// simWait waits up to 10 s for text to show up in out, which changes.
func simWait(t *testing.T, out *waittest.Buffer, what string, found func(string) bool) {
	t.Helper()
	waittest.For(t, 10*time.Second, func() error {
		if s := out.String(); !found(s) {
			return fmt.Errorf("no %s in:\n%s", what, s)
		}
		return nil
	})
}

// simPing runs `ping 10.0.0.1` on the device over an exec channel.
func simPing(t *testing.T, addr string) string {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: "admin", Auth: []ssh.AuthMethod{ssh.Password("admin")},
		HostKeyCallback: ssh.FixedHostKey(sim.HostPublicKey("r1")), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer sess.Close()
	out, err := sess.Output("ping 10.0.0.1")
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	return string(out)
}

// TestSimCmd serves a fleet, reloads it on SIGHUP, keeps it on a bad file
// and stops when the context ends.
func TestSimCmd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fleet.yaml")
	if err := os.WriteFile(path, []byte(simFleet("up")), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := &waittest.Buffer{}, &waittest.Buffer{}
	root := newRootCmd()
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetArgs([]string{"sim", "--fleet", path})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	line := regexp.MustCompile(`(?m)^r1 cisco_iosxe (127\.0\.0\.1:\d+)$`)
	simWait(t, out, "device line", line.MatchString)
	addr := line.FindStringSubmatch(out.String())[1]
	if got := simPing(t, addr); !strings.Contains(got, "Success rate is 100 percent (5/5)") {
		t.Fatalf("ping before reload:\n%s", got)
	}

	if err := os.WriteFile(path, []byte(simFleet("down")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	simWait(t, out, "reload", func(s string) bool { return strings.Count(s, "r1 cisco_iosxe "+addr+"\n") == 2 })
	if got := simPing(t, addr); !strings.Contains(got, "Success rate is 0 percent (0/5)") {
		t.Fatalf("ping after reload:\n%s", got)
	}

	if err := os.WriteFile(path, []byte(simFleet("sideways")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	simWait(t, errOut, "log of the bad reload", func(s string) bool { return strings.Contains(s, "keeping the previous behaviours") })
	if !strings.Contains(errOut.String(), `\"sideways\" is not a behaviour`) {
		t.Errorf("bad reload log does not say what is wrong:\n%s", errOut.String())
	}
	if got := simPing(t, addr); !strings.Contains(got, "Success rate is 0 percent (0/5)") {
		t.Fatalf("ping after a bad reload:\n%s", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sim returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop with its context")
	}
}

func TestSimCmdErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("devices:\n  - name: r1\n    platform: cisco_asa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sim"}, `required flag(s) "fleet" not set`},
		{[]string{"sim", "--fleet", filepath.Join(dir, "none.yaml")}, "read fleet: open "},
		{[]string{"sim", "--fleet", bad}, bad + `:3: devices[0] (r1): platform: "cisco_asa" is not a platform`},
		{[]string{"sim", "--fleet", bad, "--log-level", "loud"}, `--log-level "loud": must be debug, info, warn or error`},
		{[]string{"sim", "--fleet", writeFile(t, dir, "good.yaml", simFleet("up")), "--listen-host", "sim.example"}, `--listen-host "sim.example": not an IP address`},
	}
	for _, tc := range cases {
		root := newRootCmd()
		root.SetOut(&waittest.Buffer{})
		root.SetErr(&waittest.Buffer{})
		root.SetArgs(tc.args)
		err := root.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}
