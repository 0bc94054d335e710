package worker

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/linkwatch/linkwatch/worker/ping"
)

func newSigner(t *testing.T, key any) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProbeMultiKeyDevice probes a device with an ed25519 and an ECDSA
// host key when known_hosts lists only one of them: the worker asks for
// the listed key's algorithm and gets in. With neither listed (a changed
// key), it is HOSTKEY_MISMATCH and the device never sees a password.
func TestProbeMultiKeyDevice(t *testing.T) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed, ec := newSigner(t, edKey), newSigner(t, ecKey)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	other := newSigner(t, otherKey)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	otherType := newSigner(t, rsaKey)
	var passwords atomic.Int64
	port, _ := shellWith(t, func(c *ssh.ServerConfig) {
		*c = ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			passwords.Add(1)
			return nil, nil
		}}
		c.AddHostKey(ed)
		c.AddHostKey(ec)
	}, answerUp)
	tests := []struct {
		name    string
		listed  ssh.Signer
		failure FailureKind
	}{
		{"ed25519 listed", ed, FailureNone},
		{"ecdsa listed", ec, FailureNone},
		{"another key listed", other, FailureHostKeyMismatch},
		// The device no longer has a key of the listed type: a changed
		// key, not a failed negotiation.
		{"a key of another type listed", otherType, FailureHostKeyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "known_hosts")
			addr := knownhosts.Normalize(fmt.Sprintf("127.0.0.1:%d", port))
			if err := os.WriteFile(file, []byte(knownhosts.Line([]string{addr}, tt.listed.PublicKey())+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cb, err := knownhosts.New(file)
			if err != nil {
				t.Fatal(err)
			}
			before := passwords.Load()
			p := &Prober{HostKeys: KnownHostsFile(cb), ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}
			d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
				Password: "pw", Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
			res := p.Probe(context.Background(), d)
			if res.Failure != tt.failure {
				t.Fatalf("failure %v (%s), want %v", res.Failure, res.FailureText, tt.failure)
			}
			if tt.failure == FailureHostKeyMismatch && passwords.Load() != before {
				t.Error("a device with an unknown host key was sent the password")
			}
		})
	}
}
