package worker

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// answerUp prints an IOS ping that every echo answered.
func answerUp(w io.Writer) error {
	_, err := io.WriteString(w, "Type escape sequence to abort.\r\nSending 1, 100-byte ICMP Echos to 10.0.0.1, timeout is 1 seconds:\r\n!\r\nSuccess rate is 100 percent (1/1), round-trip min/avg/max = 1/1/1 ms\r\n")
	return err
}

// TestProbeLegacyOnlyDevice probes a device that offers only what an old
// IOS 12.x offers: linkwatch refuses by default with SSH_NEGOTIATION naming
// what the device offered and what to set, and gets in once the device's
// legacy algorithms are allowed.
func TestProbeLegacyOnlyDevice(t *testing.T) {
	// (Go offers hmac-sha1-96 and ssh-rsa by default, so MACs and host keys
	// need no case here.)
	legacy := map[string]func(*ssh.ServerConfig){
		"key exchange": func(c *ssh.ServerConfig) { c.KeyExchanges = []string{"diffie-hellman-group1-sha1"} },
		"cipher":       func(c *ssh.ServerConfig) { c.Ciphers = []string{"aes128-cbc"} },
	}
	for name, configure := range legacy {
		t.Run(name, func(t *testing.T) {
			port, _ := shellWith(t, configure, answerUp)
			p := &Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}
			d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
				Password: "pw", Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
			res := p.Probe(context.Background(), d)
			if res.Failure != FailureSSHNegotiation {
				t.Fatalf("default algorithms: failure %v (%s), want SSH_NEGOTIATION", res.Failure, res.FailureText)
			}
			if !strings.Contains(res.FailureText, "ssh: { legacy: true }") || !strings.Contains(res.FailureText, "the device offers") {
				t.Errorf("failure text %q does not say what the device offered and what to set", res.FailureText)
			}
			d.Algorithms = LegacyAlgorithms()
			res = p.Probe(context.Background(), d)
			if res.Failed() || len(res.Links) != 1 || res.Links[0].Status != ping.StatusUp {
				t.Fatalf("legacy allowed: failure %v (%s), links %+v; want one UP link", res.Failure, res.FailureText, res.Links)
			}
		})
	}
}

func TestCheckAlgorithms(t *testing.T) {
	tests := []struct {
		kind  string
		names []string
		want  string
	}{
		{"key_exchanges", []string{"diffie-hellman-group1-sha1", "curve25519-sha256"}, ""},
		{"ciphers", []string{"aes128-cbc", "3des-cbc"}, ""},
		{"macs", []string{"hmac-sha1-96"}, ""},
		{"host_key_algorithms", []string{"ssh-dss", "ssh-rsa"}, ""},
		{"ciphers", []string{"rot13"}, `"rot13" is not an SSH algorithm linkwatch can use here`},
		{"ciphers", []string{"aes128-cbc none"}, `is not an SSH algorithm`},
		{"compression", nil, `"compression" is not a kind of SSH algorithm`},
	}
	for _, tt := range tests {
		err := CheckAlgorithms(tt.kind, tt.names)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckAlgorithms(%s, %v) = %v, want %q", tt.kind, tt.names, err, tt.want)
		}
	}
}

// Apply offers what a probe offers: curve25519 first, and a device's
// extra algorithms after the defaults.
func TestAlgorithmsApplyIsTheProbes(t *testing.T) {
	var cfg ssh.ClientConfig
	Algorithms{KeyExchanges: []string{"diffie-hellman-group1-sha1"}}.Apply(&cfg)
	if cfg.KeyExchanges[0] != "curve25519-sha256" || cfg.KeyExchanges[len(cfg.KeyExchanges)-1] != "diffie-hellman-group1-sha1" {
		t.Fatalf("key exchanges offered: %v", cfg.KeyExchanges)
	}
}
