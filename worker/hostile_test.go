package worker

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// hostileShell is an IOS-like shell (prompt R1#) that answers every
// command with its prompt, except ping, which answer handles. It returns
// the port and the bytes the server managed to send.
func hostileShell(t *testing.T, answer func(w io.Writer) error) (port int, sent *atomic.Int64) {
	t.Helper()
	return shellWith(t, nil, answer)
}

// shellWith is hostileShell with the server's SSH config changed by
// configure.
func shellWith(t *testing.T, configure func(*ssh.ServerConfig), answer func(w io.Writer) error) (port int, sent *atomic.Int64) {
	t.Helper()
	sent = &atomic.Int64{}
	port = sshServerWith(t, configure, func(c net.Conn, cfg *ssh.ServerConfig) {
		serveShell(c, cfg, func(ch ssh.Channel) {
			defer ch.Close() // a shell that ends ends its session
			w := countingWriter{w: ch, n: sent}
			_, _ = io.WriteString(w, "\r\nR1#")
			// A terminal echoes each byte as it comes; a line ends at CR
			// or LF.
			in := bufio.NewReader(ch)
			var line strings.Builder
			for {
				b, err := in.ReadByte()
				if err != nil {
					return
				}
				if b != '\r' && b != '\n' {
					line.WriteByte(b)
					_, _ = w.Write([]byte{b})
					continue
				}
				cmd := line.String()
				line.Reset()
				_, _ = io.WriteString(w, "\r\n")
				if strings.HasPrefix(cmd, "ping ") && answer(w) != nil {
					return
				}
				if _, err := io.WriteString(w, "R1#"); err != nil {
					return
				}
			}
		})
	})
	return port, sent
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// TestProbeHostileOutput probes devices that answer the ping as broken or
// hostile devices do; each is classified, bounded, and leaves nothing in
// the result that cannot be encoded or shown.
func TestProbeHostileOutput(t *testing.T) {
	flood := strings.Repeat("!", 4096) + "\r\n"
	tests := []struct {
		name    string
		answer  func(w io.Writer) error
		failure proto.FailureKind
		text    string // in FailureText, or the link's error when the device was reached
	}{
		{"flood", func(w io.Writer) error {
			for {
				if _, err := io.WriteString(w, flood); err != nil {
					return err
				}
			}
		}, FailureCLI, "the device sent more than 64 KiB in answer to one command; session closed"},
		{"hang", func(w io.Writer) error {
			<-t.Context().Done() // never answer
			return io.EOF
		}, FailureTimeout, "no prompt within 6.1s, the ping's budget"},
		{"garbage", func(w io.Writer) error {
			_, err := io.WriteString(w, "\x1b[31m% Unrecognized host \xff\xfe or address\x1b[0m\x07\r\n")
			return err
		}, FailureNone, "% Unrecognized host \uFFFD or address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, sent := hostileShell(t, tt.answer)
			p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second, MaxOutput: 64 << 10}
			d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
				Password: "pw", Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
			res := p.Probe(context.Background(), d)
			if res.Failure != tt.failure {
				t.Fatalf("failure %v (%s), want %v", res.Failure, res.FailureText, tt.failure)
			}
			text := res.FailureText
			if res.Failure == FailureNone {
				if len(res.Links) != 1 || res.Links[0].Status != ping.StatusError {
					t.Fatalf("links %+v, want one ERROR link", res.Links)
				}
				text = res.Links[0].Error
			}
			if !strings.Contains(text, tt.text) {
				t.Errorf("text %q, want it to contain %q", text, tt.text)
			}
			// Whatever the device sent, the result goes on the wire.
			if _, err := pb.Marshal(ResultProto(&proto.ProbeJob{Device: "r1", Site: "dc1"}, "w1", res)); err != nil {
				t.Errorf("encode the result: %v", err)
			}
			// The flood stopped: the worker read at most the cap, and the
			// server could send only what the SSH window let through more.
			if n := sent.Load(); n > 8<<20 {
				t.Errorf("the device sent %d bytes before the worker closed the session", n)
			}
		})
	}
}

// TestOutputCapIsPerCommand: two pings whose answers are each under the
// cap, and over it together, both succeed: the cap bounds one command's
// output, not the session's.
func TestOutputCapIsPerCommand(t *testing.T) {
	port, _ := hostileShell(t, func(w io.Writer) error {
		if _, err := io.WriteString(w, strings.Repeat("Type escape sequence to abort.\r\n", 1280)); err != nil { // 40 KiB
			return err
		}
		return answerUp(w)
	})
	p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second, MaxOutput: 64 << 10}
	target := ping.Params{Target: "10.0.0.1", Count: 1, Timeout: time.Second}
	d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
		Password: "pw", Targets: []ping.Params{target, target}}
	res := p.Probe(context.Background(), d)
	if res.Failed() || len(res.Links) != 2 || res.Links[0].Status != ping.StatusUp || res.Links[1].Status != ping.StatusUp {
		t.Fatalf("failure %v (%s), links %+v; want two UP links", res.Failure, res.FailureText, res.Links)
	}
}
