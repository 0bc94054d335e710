package sim

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// floodLines is a line every platform's flood repeats after the header.
var floodLines = map[string]string{
	"cisco_iosxe":   `^!{70}$`,
	"cisco_iosxr":   `^!{70}$`,
	"cisco_nxos":    `^64 bytes from 10\.0\.0\.5: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms$`,
	"arista_eos":    `^80 bytes from 10\.0\.0\.5: icmp_seq=\d+ ttl=64 time=[\d.]+ ms$`,
	"juniper_junos": `^64 bytes from 10\.0\.0\.5: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms$`,
}

// execStart logs in to device as admin and starts cmd on an exec
// channel, returning the client and the command's output as it comes.
func execStart(t *testing.T, s *Server, device, cmd string) (*ssh.Client, io.Reader) {
	t.Helper()
	c, err := dial(t, s, device, "admin", "secret")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	sess, err := c.NewSession()
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start(cmd); err != nil {
		t.Fatalf("exec: %v", err)
	}
	return c, out
}

// TestFlood reads a flood on every platform over an exec channel: the
// platform's reply lines, CRLF-ended, far past any ping's length.
func TestFlood(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	for _, p := range allPlatforms {
		t.Run(p, func(t *testing.T) {
			c, out := execStart(t, s, deviceName(p), "ping 10.0.0.5")
			defer c.Close()
			line := regexp.MustCompile(floodLines[p])
			r := bufio.NewReader(io.LimitReader(out, 1<<20))
			matched := 0
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					break
				}
				if !strings.HasSuffix(l, "\r\n") {
					t.Fatalf("line without CRLF: %q", l)
				}
				if line.MatchString(strings.TrimSuffix(l, "\r\n")) {
					matched++
				}
			}
			if matched < 1000 {
				t.Errorf("%d lines of 1 MiB match %s", matched, floodLines[p])
			}
		})
	}
}

// TestFloodMemoryStaysFlat streams 16 MiB of a flood and checks that the
// process's live heap does not grow with it (the simulator writes one block
// again and again), that the stream goes on, and that the flood's
// goroutines end once the client disconnects.
func TestFloodMemoryStaysFlat(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	goroutines := runtime.NumGoroutine()
	c, out := execStart(t, s, deviceName("cisco_iosxe"), "ping 10.0.0.5")
	read := func(n int64) {
		t.Helper()
		if got, err := io.CopyN(io.Discard, out, n); err != nil {
			t.Fatalf("flood stopped after %d more bytes: %v", got, err)
		}
	}
	read(1 << 20)
	base := liveHeap()
	read(16 << 20)
	if grown := int64(liveHeap()) - int64(base); grown > 4<<20 {
		t.Errorf("live heap grew by %d bytes while 16 MiB streamed", grown)
	}
	c.Close()
	waittest.For(t, 10*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > goroutines {
			return fmt.Errorf("%d goroutines, %d before the flood", n, goroutines)
		}
		return nil
	})
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestGarbageAndHang types pings to a garbage and a hanging target on every
// platform: garbage prints GarbageLine then the prompt; a hang prints
// nothing after the echo, not even for what is typed next.
func TestGarbageAndHang(t *testing.T) {
	s := startServer(t, testFleet(t, ""))
	cases := []struct {
		name, target string
		check        func(t *testing.T, sh *shell, prompt string)
	}{
		{"garbage", "10.0.0.7", func(t *testing.T, sh *shell, prompt string) {
			out := sh.expect(regexp.QuoteMeta(prompt) + `$`)
			if !strings.HasPrefix(out, crlf(GarbageLine)) {
				t.Errorf("output %q, want GarbageLine first", out)
			}
			if utf8.ValidString(out) || !strings.Contains(out, "\x1b[") || !strings.HasPrefix(out, "% ") {
				t.Errorf("output %q lacks the %% line, invalid UTF-8 or escapes", out)
			}
		}},
		{"hang", "10.0.0.6", func(t *testing.T, sh *shell, _ string) {
			sh.send("show version\r\x03exit\r")
			if err := sh.sess.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if rest := sh.out.String()[sh.seen:]; rest != "" {
				t.Errorf("a hang printed %q", rest)
			}
		}},
	}
	for _, p := range platformCases {
		for _, tc := range cases {
			t.Run(p.platform+"/"+tc.name, func(t *testing.T) {
				c, err := dial(t, s, deviceName(p.platform), "admin", "secret")
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				defer c.Close()
				sh := openShell(t, c)
				sh.expect(regexp.QuoteMeta(p.prompt) + `$`)
				line := "ping " + tc.target
				sh.send(line + "\r")
				sh.expect(`^` + regexp.QuoteMeta(line) + `\r\n`)
				tc.check(t, sh, p.prompt)
			})
		}
	}
}
