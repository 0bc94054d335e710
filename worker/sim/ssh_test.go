package sim

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// platformCase is what a plain SSH client should see on each platform.
type platformCase struct {
	platform string
	prompt   string // the privileged / operational prompt, as typed after
	paging   string // the paging command scrapligo and Netmiko send
	ping     string // a ping of 10.0.0.1 in the syntax linkwatch sends
	success  string // a regexp the successful ping output matches
	invalid  string // the error for an unknown command
}

var platformCases = []platformCase{
	{"cisco_iosxe", "cisco-iosxe#", "terminal length 0", "ping 10.0.0.1 repeat 5 timeout 2",
		`Success rate is 100 percent \(5/5\)`, "% Invalid input detected at '^' marker."},
	{"cisco_iosxr", "RP/0/RP0/CPU0:cisco-iosxr#", "terminal length 0", "ping 10.0.0.1 count 5 timeout 2",
		`Success rate is 100 percent \(5/5\)`, "% Invalid input detected at '^' marker."},
	{"cisco_nxos", "cisco-nxos# ", "terminal length 0", "ping 10.0.0.1 count 5 timeout 2 vrf default",
		`5 packets transmitted, 5 packets received, 0.00% packet loss`, "% Invalid command at '^' marker."},
	{"arista_eos", "arista-eos#", "terminal length 0", "ping vrf default 10.0.0.1 repeat 5 timeout 2",
		`5 packets transmitted, 5 received, 0% packet loss`, "% Invalid input"},
	{"juniper_junos", "admin@juniper-junos> ", "set cli screen-length 0", "ping 10.0.0.1 count 5 wait 2 rapid",
		`5 packets transmitted, 5 packets received, 0% packet loss`, "unknown command."},
}

// TestShell drives every platform through a pty like a person with ssh:
// echo, CRLF, prompts, paging command, ping, an unknown command, exit.
func TestShell(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	for _, tc := range platformCases {
		t.Run(tc.platform, func(t *testing.T) {
			c, err := dial(t, s, deviceName(tc.platform), "admin", "secret")
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			sh := openShell(t, c)
			p := regexp.QuoteMeta(tc.prompt)
			sh.expect(`(^|\r\n)` + p + `$`)

			sh.send(tc.paging + "\r")
			out := sh.expect(`\r\n` + p + `$`)
			if !strings.HasPrefix(out, tc.paging+"\r\n") {
				t.Errorf("no echo of %q, got %q", tc.paging, out)
			}

			sh.send(tc.ping + "\r\n") // CRLF is one Enter
			out = sh.expect(`\r\n` + p + `$`)
			if !strings.HasPrefix(out, tc.ping+"\r\n") || !regexp.MustCompile(tc.success).MatchString(out) {
				t.Errorf("ping output:\n%s", out)
			}
			if strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") {
				t.Errorf("bare LF in output %q", out)
			}

			sh.send("bogus\x7fs command\n")
			out = sh.expect(`\r\n` + p + `$`)
			if !strings.HasPrefix(out, "bogus\b \bs command\r\n") || !strings.Contains(out, tc.invalid) {
				t.Errorf("unknown command output %q, want %q", out, tc.invalid)
			}

			sh.send("exit\r")
			if err := sh.sess.Wait(); err != nil {
				t.Errorf("session end after exit: %v", err)
			}
		})
	}
}

// TestExec runs one command the way `ssh host 'show version'` does.
func TestExec(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	want := map[string]string{
		"cisco_iosxe":   "Cisco IOS XE Software",
		"cisco_iosxr":   "Cisco IOS XR Software",
		"cisco_nxos":    "Cisco Nexus Operating System",
		"arista_eos":    "Arista vEOS",
		"juniper_junos": "Junos: ",
	}
	for _, p := range allPlatforms {
		t.Run(p, func(t *testing.T) {
			c, err := dial(t, s, deviceName(p), "admin", "secret")
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			sess, err := c.NewSession()
			if err != nil {
				t.Fatalf("session: %v", err)
			}
			out, err := sess.Output("show version")
			if err != nil {
				t.Fatalf("exec: %v", err)
			}
			if !strings.Contains(string(out), want[p]) || !strings.Contains(string(out), "\r\n") {
				t.Errorf("show version:\n%s", out)
			}
			sess, err = c.NewSession()
			if err != nil {
				t.Fatalf("session: %v", err)
			}
			if out, err := sess.Output("no such command"); err == nil {
				t.Errorf("unknown command exited 0 with %q", out)
			}
		})
	}
}

// TestWrongPassword checks a bad login is refused at authentication.
func TestWrongPassword(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	for _, p := range allPlatforms {
		t.Run(p, func(t *testing.T) {
			for _, cred := range [][2]string{{"admin", "wrong"}, {"nobody", "secret"}} {
				c, err := dial(t, s, deviceName(p), cred[0], cred[1])
				if err == nil {
					c.Close()
					t.Fatalf("login as %s/%s accepted", cred[0], cred[1])
				}
				if !strings.Contains(err.Error(), "unable to authenticate") {
					t.Errorf("login error %v, want unable to authenticate", err)
				}
			}
		})
	}
}

// TestNoSecretInLogs logs everything at debug level through failed and
// good logins and an enable, and finds neither password in the log.
func TestNoSecretInLogs(t *testing.T) {
	var logs waittest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(context.Background(), testFleet(t, ""), log)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Close()
	if c, err := dial(t, s, deviceName("cisco_iosxe"), "admin", "hunter2-wrong"); err == nil {
		c.Close()
		t.Fatal("wrong password accepted")
	}
	c, err := dial(t, s, deviceName("cisco_iosxe"), "admin", "secret")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	sh := openShell(t, c)
	sh.expect(`#$`)
	sh.send("disable\renable\r")
	sh.expect(`Password: $`)
	sh.send("secret\r")
	sh.expect(`\r\ncisco-iosxe#$`)
	c.Close()
	_ = s.Close()
	if !strings.Contains(logs.String(), "ssh handshake failed") || !strings.Contains(logs.String(), "line=disable") {
		t.Fatalf("log lacks the events:\n%s", logs.String())
	}
	for _, secret := range []string{"hunter2-wrong", "secret"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %q:\n%s", secret, logs.String())
		}
	}
}

// TestKeyboardInteractive logs in the way clients without password auth
// do, answering the password prompt.
func TestKeyboardInteractive(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	addr, _ := s.Addr(deviceName("arista_eos"))
	for answer, ok := range map[string]bool{"secret": true, "wrong": false} {
		c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User: "admin",
			Auth: []ssh.AuthMethod{ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				if len(qs) != 1 || qs[0] != "Password: " {
					return nil, fmt.Errorf("unexpected questions %q", qs)
				}
				return []string{answer}, nil
			})},
			HostKeyCallback: ssh.FixedHostKey(HostPublicKey(deviceName("arista_eos"))),
		})
		if ok != (err == nil) {
			t.Errorf("answer %q: login error %v", answer, err)
		}
		if err == nil {
			c.Close()
		}
	}
}
