package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// TestPingParses sends every behaviour the command linkwatch's worker
// builds and checks that worker/ping classifies the output as the fleet
// file says.
func TestPingParses(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	cases := []struct {
		name     string
		params   ping.Params
		status   ping.Status
		sent     int
		received int
	}{
		{"up", ping.Params{Target: "10.0.0.1", Count: 5, Timeout: 2 * time.Second}, ping.StatusUp, 5, 5},
		{"down", ping.Params{Target: "10.0.0.2", Count: 5, Timeout: 2 * time.Second}, ping.StatusDown, 5, 0},
		{"drop 60", ping.Params{Target: "10.0.0.3", Count: 5, Timeout: 2 * time.Second}, ping.StatusDrop, 5, 3},
		{"drop 60 of 2", ping.Params{Target: "10.0.0.3", Count: 2, Timeout: 1 * time.Second}, ping.StatusDrop, 2, 1},
		{"drop 60 of 100", ping.Params{Target: "10.0.0.3", Count: 100, Timeout: 1 * time.Second, Size: 1500}, ping.StatusDrop, 100, 60},
		{"unknown host", ping.Params{Target: "10.0.0.4", Count: 5, Timeout: 2 * time.Second}, ping.StatusError, 0, 0},
		{"unlisted address", ping.Params{Target: "192.0.2.9", Count: 3, Timeout: 2 * time.Second}, ping.StatusDown, 3, 0},
		{"unlisted name", ping.Params{Target: "nowhere.example.net", Count: 3, Timeout: 2 * time.Second}, ping.StatusError, 0, 0},
		{"listed name", ping.Params{Target: "core.example.net", Count: 3, Timeout: 2 * time.Second}, ping.StatusUp, 3, 3},
		{"vrf and source address", ping.Params{Target: "10.0.0.1", Count: 5, Timeout: 2 * time.Second, VRF: "MGMT", Source: "10.9.9.9"}, ping.StatusUp, 5, 5},
		{"source interface", ping.Params{Target: "10.0.0.2", Count: 4, Timeout: 2 * time.Second, Source: "Loopback0"}, ping.StatusDown, 4, 0},
		{"ipv6 target", ping.Params{Target: "2001:db8::1", Count: 5, Timeout: 2 * time.Second}, ping.StatusDown, 5, 0},
	}
	for _, p := range allPlatforms {
		c, err := dial(t, s, deviceName(p), "admin", "secret")
		if err != nil {
			t.Fatalf("%s: login: %v", p, err)
		}
		for _, tc := range cases {
			t.Run(p+"/"+tc.name, func(t *testing.T) {
				line, err := ping.Command(p, tc.params)
				if err != nil {
					t.Fatalf("command: %v", err)
				}
				out := execOutput(t, c, line)
				r, err := ping.Parse(p, out)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				if r.Status != tc.status || r.Sent != tc.sent || r.Received != tc.received {
					t.Errorf("%s gave %s %d/%d (%s), want %s %d/%d; output:\n%s",
						line, r.Status, r.Received, r.Sent, r.Error, tc.status, tc.received, tc.sent, out)
				}
				if tc.status == ping.StatusError && r.Error == "" {
					t.Errorf("error output without message:\n%s", out)
				}
			})
		}
		c.Close()
	}
}

// execOutput runs one command over an exec channel and returns what it
// printed, refused or not.
func execOutput(t *testing.T, c *ssh.Client, line string) string {
	t.Helper()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer sess.Close()
	out, err := sess.Output(line)
	if _, exit := err.(*ssh.ExitError); err != nil && !exit {
		t.Fatalf("exec %q: %v", line, err)
	}
	return string(out)
}

// TestPingDelayStreams checks a device with a delay takes count×delay and
// shows each probe as it happens.
func TestPingDelayStreams(t *testing.T) {
	const delay = 40 * time.Millisecond
	s := startServer(t, testFleet(t, delay.String()))
	c, err := dial(t, s, deviceName("cisco_iosxe"), "admin", "secret")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	sh := openShell(t, c)
	sh.expect(`cisco-iosxe#$`)
	start := time.Now()
	sh.send("ping 10.0.0.3 repeat 10\r")
	sh.expect(`timeout is 2 seconds:\r\n\.`)
	first := time.Since(start)
	sh.expect(`Success rate is 60 percent \(6/10\)`)
	all := time.Since(start)
	if first >= all/2 || all < 10*delay {
		t.Errorf("first probe after %v, all after %v: not streamed at %v per probe", first, all, delay)
	}
}

// TestPingStopsWhenSessionCloses checks a long ping ends with its session,
// and that no goroutine outlives the server.
func TestPingStopsWhenSessionCloses(t *testing.T) {
	base := runtime.NumGoroutine()
	f := testFleet(t, "1h")
	s, err := Start(context.Background(), f, nil)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	idle := runtime.NumGoroutine()
	c, err := dial(t, s, deviceName("cisco_nxos"), "admin", "secret")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	sh := openShell(t, c)
	sh.expect(`cisco-nxos# $`)
	sh.send("ping 10.0.0.1 count 1000\r")
	sh.expect(`data bytes\r\n`)
	c.Close()
	waitGoroutines(t, idle, "after the session closed")
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitGoroutines(t, base, "after the server closed")
}

// waitGoroutines polls until at most n goroutines run.
func waitGoroutines(t *testing.T, n int, when string) {
	t.Helper()
	waittest.For(t, 5*time.Second, func() error {
		if got := runtime.NumGoroutine(); got > n {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("%d goroutines %s, want at most %d:\n%s", got, when, n, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

// TestPingInterrupt aborts a slow ping with Cisco's escape sequence and
// JunOS's ^C: the summary counts only what was sent.
func TestPingInterrupt(t *testing.T) {
	s := startServer(t, testFleet(t, "1h"))
	for _, tc := range []struct{ platform, prompt, ping, key, summary string }{
		{"cisco_iosxe", `cisco-iosxe#$`, "ping 10.0.0.1", "\x1e", `Success rate is 0 percent \(0/0\)\r\ncisco-iosxe#$`},
		{"juniper_junos", `admin@juniper-junos> $`, "ping 10.0.0.1", "\x03",
			`0 packets transmitted, 0 packets received, 0% packet loss\r\n\r\nadmin@juniper-junos> $`},
	} {
		c, err := dial(t, s, deviceName(tc.platform), "admin", "secret")
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		sh := openShell(t, c)
		sh.expect(tc.prompt)
		sh.send(tc.ping + "\r")
		sh.expect(`\r\n`)
		sh.send(tc.key)
		sh.expect(tc.summary)
		c.Close()
	}
}

// TestStartContextEnds checks the server closes when Start's context ends.
func TestStartContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, testFleet(t, ""), nil)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Close()
	addr, _ := s.Addr(deviceName("cisco_nxos"))
	cancel()
	waittest.For(t, 5*time.Second, func() error {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return nil
		}
		conn.Close()
		return errors.New("device still listening after the context ended")
	})
}
