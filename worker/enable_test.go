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
// is not "" (and accepts only it), or enters at once; after a wrong secret
// it says "% Access denied" (AAA), or with retries asks again, three times
// at most, as IOS with a local enable secret does. Ping with options works
// only in privileged EXEC. enables counts the enable commands seen,
// attempts the secrets typed.
func enableShell(t *testing.T, secret string, privileged, retries bool) (port int, enables, attempts *atomic.Int64) {
	t.Helper()
	enables, attempts = &atomic.Int64{}, &atomic.Int64{}
	port = sshServer(t, func(c net.Conn, cfg *ssh.ServerConfig) {
		serveShell(c, cfg, func(ch ssh.Channel) {
			prompt := map[bool]string{false: "R1>", true: "R1#"}
			priv, asking, tries := privileged, false, 0
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
					attempts.Add(1)
					tries++
					switch {
					case cmd == secret:
						priv = true
					case retries && tries < 3:
						asking = true
						_, _ = io.WriteString(ch, "Password: ")
						continue
					case retries:
						_, _ = io.WriteString(ch, "% Bad secrets\r\n\r\n")
					default:
						_, _ = io.WriteString(ch, "% Access denied\r\n\r\n")
					}
				case cmd == "enable":
					enables.Add(1)
					tries = 0
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
		})
	})
	return port, enables, attempts
}

func TestProbeEnable(t *testing.T) {
	const secret = "en4ble-s3cret"
	tests := []struct {
		name       string
		secret     string // the device's; "" enters without one
		privileged bool   // the login lands in privileged EXEC
		retries    bool   // the device asks again after a wrong secret
		enable     bool   // the credential's
		password   string // the credential's enable secret
		failure    FailureKind
		text       string // in the failure text
		link       ping.Status
		enables    int64
		attempts   int64 // secrets typed
	}{
		{name: "secret", secret: secret, enable: true, password: secret, link: ping.StatusUp, enables: 1, attempts: 1},
		{name: "no secret needed", enable: true, link: ping.StatusUp, enables: 1},
		{name: "already privileged", secret: secret, privileged: true, enable: true, password: secret, link: ping.StatusUp},
		{name: "wrong secret", secret: secret, enable: true, password: "wrong-s3cret", failure: FailureAuth,
			text: "enable: the device refused (the prompt is still R1>)", enables: 1, attempts: 1},
		{name: "wrong secret, asked again", secret: secret, retries: true, enable: true, password: "wrong-s3cret",
			failure: FailureAuth, text: "the device asked for the enable secret again", enables: 1, attempts: 1},
		{name: "secret asked, none given", secret: secret, enable: true, failure: FailureCLI,
			text: "asks for an enable secret and credential \"lab\" gives none", enables: 1},
		{name: "no enable configured", secret: secret, link: ping.StatusError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, enables, attempts := enableShell(t, tt.secret, tt.privileged, tt.retries)
			p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}
			d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Credential: "lab",
				Username: "admin", Password: "login-pw", Enable: tt.enable, EnablePassword: tt.password,
				Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
			res := p.Probe(context.Background(), d)
			if res.Failure != tt.failure {
				t.Fatalf("failure %v (%s), want %v", res.Failure, res.FailureText, tt.failure)
			}
			if !strings.Contains(res.FailureText, tt.text) {
				t.Errorf("failure text %q, want it to contain %q", res.FailureText, tt.text)
			}
			for _, s := range []string{secret, tt.password, d.Password} {
				if s != "" && strings.Contains(res.FailureText, s) {
					t.Errorf("failure text %q holds a secret", res.FailureText)
				}
			}
			if tt.failure == FailureNone && (len(res.Links) != 1 || res.Links[0].Status != tt.link) {
				t.Errorf("links %+v, want one %v", res.Links, tt.link)
			}
			if n := enables.Load(); n != tt.enables {
				t.Errorf("enable sent %d times, want %d", n, tt.enables)
			}
			if n := attempts.Load(); n != tt.attempts {
				t.Errorf("%d enable secrets typed, want %d: a refused secret must not be followed by more attempts", n, tt.attempts)
			}
		})
	}
}
