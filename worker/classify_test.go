package worker

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/ping"
)

func TestClassifyDial(t *testing.T) {
	sys := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name string
		err  error
		want FailureKind
	}{
		{"refused", sys(syscall.ECONNREFUSED), FailureRefused},
		{"reset", sys(syscall.ECONNRESET), FailureRefused},
		{"no route to host", sys(syscall.EHOSTUNREACH), FailureUnreachable},
		{"network unreachable", sys(syscall.ENETUNREACH), FailureUnreachable},
		{"name does not resolve", &net.DNSError{Err: "no such host", Name: "r1.example", IsNotFound: true}, FailureUnreachable},
		{"connect timeout", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, FailureTimeout},
		{"deadline", context.DeadlineExceeded, FailureTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyDial(tt.err); got != tt.want {
				t.Errorf("classifyDial(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

// mutedShell is an SSH server that accepts any password and opens a shell
// that prints a banner and never a prompt.
func mutedShell(t *testing.T) int {
	t.Helper()
	return sshServer(t, serveMuted)
}

// sshServer serves each connection to a loopback port with serve, under
// a config that accepts any password; it returns the port.
func sshServer(t *testing.T, serve func(net.Conn, *ssh.ServerConfig)) int {
	t.Helper()
	return sshServerWith(t, nil, serve)
}

// sshServerWith is sshServer with the server's config changed by
// configure (nil: as it is).
func sshServerWith(t *testing.T, configure func(*ssh.ServerConfig), serve func(net.Conn, *ssh.ServerConfig)) int {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(signer)
	if configure != nil {
		configure(cfg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serve(c, cfg)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func serveMuted(c net.Conn, cfg *ssh.ServerConfig) {
	serveShell(c, cfg, func(ch ssh.Channel) {
		_, _ = ch.Write([]byte("Welcome. This box has no prompt.\r\n"))
		_, _ = io.Copy(io.Discard, ch)
	})
}

// serveShell accepts the SSH connection c and serves each session channel
// with shell, its pty and shell requests granted.
func serveShell(c net.Conn, cfg *ssh.ServerConfig, shell func(ch ssh.Channel)) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range chReqs {
				_ = r.Reply(r.Type == "pty-req" || r.Type == "shell", nil)
			}
		}()
		shell(ch)
	}
}

func TestProbeNoPromptIsATimeout(t *testing.T) {
	p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: 300 * time.Millisecond}
	d := Device{Name: "r1", Host: "127.0.0.1", Port: mutedShell(t), Platform: "cisco_iosxe", Username: "admin",
		Password: "pw", Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
	res := p.Probe(context.Background(), d)
	if res.Failure != FailureTimeout {
		t.Fatalf("failure %v (%s), want TIMEOUT", res.Failure, res.FailureText)
	}
	if !strings.Contains(res.FailureText, "no prompt within 300ms") {
		t.Errorf("failure text %q does not say what was awaited", res.FailureText)
	}
}

// sessionlessServer accepts logins but rejects every session, and counts
// the connections still open.
func sessionlessServer(t *testing.T) (port int, open *atomic.Int64) {
	t.Helper()
	open = &atomic.Int64{}
	port = sshServer(t, func(c net.Conn, cfg *ssh.ServerConfig) {
		open.Add(1)
		defer open.Add(-1)
		defer c.Close()
		sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			_ = nc.Reject(ssh.Prohibited, "no sessions here")
		}
		sc.Wait()
	})
	return port, open
}

func TestProbeClosesConnectionWhenShellFails(t *testing.T) {
	port, open := sessionlessServer(t)
	p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: 300 * time.Millisecond}
	d := Device{Name: "r1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin", Password: "pw",
		Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
	for range 3 {
		if res := p.Probe(context.Background(), d); !res.Failed() {
			t.Fatal("probe of a device that refuses sessions succeeded")
		}
	}
	waittest.For(t, 5*time.Second, func() error {
		if n := open.Load(); n != 0 {
			return fmt.Errorf("%d connections still open after the probes returned", n)
		}
		return nil
	})
}
