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

	"github.com/linkwatch/linkwatch/worker/ping"
)

// enableShell is an IOS-like shell whose login lands in user EXEC (R1>),
// or privileged EXEC (R1#) when privileged. enable asks for secret when it
// is not "" (and accepts only it), or enters at once. Ping with options
// works only in privileged EXEC. enables counts the enable commands seen.
func enableShell(t *testing.T, secret string, privileged bool) (port int, enables *atomic.Int64) {
	t.Helper()
	enables = &atomic.Int64{}
	port = sshServer(t, func(c net.Conn, cfg *ssh.ServerConfig) {
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
			prompt := map[bool]string{false: "R1>", true: "R1#"}
			priv, asking := privileged, false
			_, _ = io.WriteString(ch, "\r\n"+prompt[priv])
			in := bufio.NewReader(ch)
			var line strings.Builder
			for {
				b, err := in.ReadByte()
				if err != nil {
					return
				}
				if b != '\r' && b != '\n' {
					line.WriteByte(b)
					if !asking { // a password is not echoed
						_, _ = ch.Write([]byte{b})
					}
					continue
				}
				cmd := line.String()
				line.Reset()
				_, _ = io.WriteString(ch, "\r\n")
				switch {
				case asking:
					asking = false
					if cmd == secret {
						priv = true
					} else {
						_, _ = io.WriteString(ch, "% Access denied\r\n\r\n")
					}
				case cmd == "enable":
					enables.Add(1)
					if secret != "" {
						asking = true
						_, _ = io.WriteString(ch, "Password: ")
						continue
					}
					priv = true
				case strings.HasPrefix(cmd, "ping ") && !priv:
					_, _ = io.WriteString(ch, "                  ^\r\n% Invalid input detected at '^' marker.\r\n\r\n")
				case strings.HasPrefix(cmd, "ping "):
					_ = answerUp(ch)
				}
				_, _ = io.WriteString(ch, prompt[priv])
			}
		}
	})
	return port, enables
}

func TestProbeEnable(t *testing.T) {
	const secret = "en4ble-s3cret"
	tests := []struct {
		name       string
		secret     string // the device's; "" enters without one
		privileged bool   // the login lands in privileged EXEC
		enable     bool   // the credential's
		password   string // the credential's enable secret
		failure    FailureKind
		text       string // in the failure text
		link       ping.Status
		enables    int64
	}{
		{name: "secret", secret: secret, enable: true, password: secret, link: ping.StatusUp, enables: 1},
		{name: "no secret needed", enable: true, link: ping.StatusUp, enables: 1},
		{name: "already privileged", secret: secret, privileged: true, enable: true, password: secret, link: ping.StatusUp},
		{name: "wrong secret", secret: secret, enable: true, password: "wrong", failure: FailureAuth,
			text: "enable: the device refused (the prompt is still R1>)", enables: 1},
		{name: "secret asked, none given", secret: secret, enable: true, failure: FailureAuth,
			text: "asks for an enable secret and credential \"lab\" gives none", enables: 1},
		{name: "no enable configured", secret: secret, link: ping.StatusError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, enables := enableShell(t, tt.secret, tt.privileged)
			p := &Prober{ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}
			d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Credential: "lab",
				Username: "admin", Password: "pw", Enable: tt.enable, EnablePassword: tt.password,
				Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
			res := p.Probe(context.Background(), d)
			if res.Failure != tt.failure {
				t.Fatalf("failure %v (%s), want %v", res.Failure, res.FailureText, tt.failure)
			}
			if !strings.Contains(res.FailureText, tt.text) || strings.Contains(res.FailureText, secret) {
				t.Errorf("failure text %q, want it to contain %q and no secret", res.FailureText, tt.text)
			}
			if tt.failure == FailureNone && (len(res.Links) != 1 || res.Links[0].Status != tt.link) {
				t.Errorf("links %+v, want one %v", res.Links, tt.link)
			}
			if n := enables.Load(); n != tt.enables {
				t.Errorf("enable sent %d times, want %d", n, tt.enables)
			}
		})
	}
}
