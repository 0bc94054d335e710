package sim

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// client is what an SSH client offers; empty lists are x/crypto's defaults.
type client struct {
	kex, ciphers, macs, hostKeys []string
}

// legacyClient offers what an old IOS speaks and nothing newer.
var legacyClient = client{
	kex:      []string{ssh.InsecureKeyExchangeDH14SHA1, ssh.InsecureKeyExchangeDH1SHA1},
	ciphers:  []string{ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC},
	macs:     []string{ssh.HMACSHA1},
	hostKeys: []string{ssh.KeyAlgoRSA},
}

// connect logs in to r1 offering c's algorithms and returns the host key
// the server showed (nil if none).
func (c client) connect(t *testing.T, s *Server) (*ssh.Client, ssh.PublicKey, error) {
	t.Helper()
	addr, _ := s.Addr("r1")
	var shown ssh.PublicKey
	cfg := &ssh.ClientConfig{
		Config: ssh.Config{KeyExchanges: c.kex, Ciphers: c.ciphers, MACs: c.macs},
		User:   "admin", Auth: []ssh.AuthMethod{ssh.Password("secret")},
		HostKeyAlgorithms: c.hostKeys,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			shown = k
			return nil
		},
		Timeout: 10 * time.Second,
	}
	conn, err := ssh.Dial("tcp", addr, cfg)
	return conn, shown, err
}

// TestAlgorithmSets connects clients with various offers to devices with
// each algorithm set: a legacy device takes exactly the old algorithms,
// signs with ssh-rsa, and serves a working session over them.
func TestAlgorithmSets(t *testing.T) {
	with := func(c client, f func(*client)) client { f(&c); return c }
	cases := []struct {
		name, set string
		client    client
		refused   string // the negotiation that fails, "" if the login works
	}{
		{"legacy takes group14-sha1, aes128-cbc", "legacy", with(legacyClient, func(c *client) {
			c.kex, c.ciphers = []string{ssh.InsecureKeyExchangeDH14SHA1}, []string{ssh.InsecureCipherAES128CBC}
		}), ""},
		{"legacy takes group1-sha1, 3des-cbc", "legacy", with(legacyClient, func(c *client) {
			c.kex, c.ciphers = []string{ssh.InsecureKeyExchangeDH1SHA1}, []string{ssh.InsecureCipherTripleDESCBC}
		}), ""},
		{"legacy refuses a modern client", "legacy", client{}, "client to server cipher"},
		{"legacy refuses modern key exchange", "legacy", with(legacyClient, func(c *client) {
			c.kex = []string{ssh.KeyExchangeCurve25519, ssh.KeyExchangeDH14SHA256}
		}), "key exchange"},
		{"legacy refuses modern MACs", "legacy", with(legacyClient, func(c *client) {
			c.macs = []string{ssh.HMACSHA256}
		}), "client to server MAC"},
		{"legacy signs with ssh-rsa only", "legacy", with(legacyClient, func(c *client) {
			c.hostKeys = []string{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512}
		}), "host key"},
		{"legacy-group1 takes group1-sha1", "legacy-group1", with(legacyClient, func(c *client) {
			c.kex = []string{ssh.InsecureKeyExchangeDH1SHA1}
		}), ""},
		{"legacy-group1 refuses group14-sha1", "legacy-group1", with(legacyClient, func(c *client) {
			c.kex = []string{ssh.InsecureKeyExchangeDH14SHA1}
		}), "key exchange"},
		{"modern refuses CBC ciphers", "modern", with(legacyClient, func(c *client) { c.hostKeys = nil }), "client to server cipher"},
		{"modern takes a modern client", "modern", client{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := oneDevice(t, "cisco_iosxe", "    ssh: {algorithms: "+tc.set+"}\n")
			s := startServer(t, f)
			conn, shown, err := tc.client.connect(t, s)
			if tc.refused != "" {
				var neg *ssh.AlgorithmNegotiationError
				if err == nil || !errors.As(err, &neg) || neg.What != tc.refused {
					t.Fatalf("login: %v, want no common %s algorithm", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer conn.Close()
			if want := f.Devices[0].HostPublicKeys()[0]; !bytes.Equal(shown.Marshal(), want.Marshal()) {
				t.Errorf("host key %s, want the device's %s", shown.Type(), want.Type())
			}
			if out := execOutput(t, conn, "ping 10.0.0.1"); !strings.Contains(out, "Success rate is 100 percent") {
				t.Errorf("ping over %s: %q", tc.set, out)
			}
		})
	}
}

// TestHostKeys offers several host keys and checks each client gets the
// one of the type it asks for, derived from the seed, and none of a type
// not offered.
func TestHostKeys(t *testing.T) {
	f := oneDevice(t, "cisco_iosxe", "    ssh:\n      host_keys: [ecdsa, rsa, ed25519]\n      host_key_seed: lab-7\n")
	s := startServer(t, f)
	cases := []struct {
		algorithm string
		want      ssh.PublicKey // nil: refused
	}{
		{ssh.KeyAlgoED25519, DeriveHostKey("lab-7", KeyED25519).PublicKey()},
		{ssh.KeyAlgoRSASHA512, DeriveHostKey("lab-7", KeyRSA).PublicKey()},
		{ssh.KeyAlgoRSA, DeriveHostKey("lab-7", KeyRSA).PublicKey()},
		{ssh.KeyAlgoECDSA256, DeriveHostKey("lab-7", KeyECDSA).PublicKey()},
		{ssh.KeyAlgoECDSA384, nil},
	}
	for _, tc := range cases {
		t.Run(tc.algorithm, func(t *testing.T) {
			conn, shown, err := client{hostKeys: []string{tc.algorithm}}.connect(t, s)
			if tc.want == nil {
				if err == nil {
					conn.Close()
					t.Fatalf("login with only %s accepted", tc.algorithm)
				}
				return
			}
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			conn.Close()
			if !bytes.Equal(shown.Marshal(), tc.want.Marshal()) {
				t.Errorf("host key %s differs from the derived one", shown.Type())
			}
		})
	}
	var types []string
	for _, k := range f.Devices[0].HostPublicKeys() {
		types = append(types, k.Type())
	}
	if got := strings.Join(types, " "); got != "ecdsa-sha2-nistp256 ssh-rsa ssh-ed25519" {
		t.Errorf("HostPublicKeys are %s, want the order of host_keys", got)
	}
}

// TestDerivedHostKeys checks derivation: stable, one key per seed and type,
// the ed25519 key of a name is HostKey's, RSA keys are 2048 bits.
func TestDerivedHostKeys(t *testing.T) {
	seen := map[string]string{}
	for _, seed := range []string{"r1", "r2", "other"} {
		for _, kt := range keyTypes {
			k := DeriveHostKey(seed, kt).PublicKey()
			derived.Delete(string(kt) + ":" + seed) // derive again, not from the cache
			if again := DeriveHostKey(seed, kt).PublicKey(); !bytes.Equal(k.Marshal(), again.Marshal()) {
				t.Errorf("%s key of %q changed when derived again", kt, seed)
			}
			if prev, dup := seen[string(k.Marshal())]; dup {
				t.Errorf("%s key of %q is also %s's", kt, seed, prev)
			}
			seen[string(k.Marshal())] = string(kt) + " of " + seed
		}
	}
	if !bytes.Equal(DeriveHostKey("r1", KeyED25519).PublicKey().Marshal(), HostPublicKey("r1").Marshal()) {
		t.Error("the ed25519 key of r1 is not HostKey(r1)")
	}
	d := Device{Name: "r1"}
	if keys := d.HostPublicKeys(); len(keys) != 1 || !bytes.Equal(keys[0].Marshal(), HostPublicKey("r1").Marshal()) {
		t.Error("a device without an ssh section does not have HostKey(name)")
	}
	rsaKey := DeriveHostKey("r1", KeyRSA).PublicKey().(ssh.CryptoPublicKey).CryptoPublicKey()
	if n := rsaKey.(interface{ Size() int }).Size() * 8; n != rsaBits {
		t.Errorf("RSA key of %d bits, want %d", n, rsaBits)
	}
}

// TestHostKeySeedReload changes a device's key with a reload: a session
// open before goes on, a client that pinned the old key is refused with a
// host key mismatch, the new key is the new seed's.
func TestHostKeySeedReload(t *testing.T) {
	const base = "devices:\n  - name: r1\n    platform: cisco_iosxe\n    username: admin\n    password: secret\n" +
		"    targets: {10.0.0.1: up}\n"
	s := startServer(t, mustParse(t, base))
	before, err := dial(t, s, "r1", "admin", "secret")
	if err != nil {
		t.Fatalf("login with the name's key: %v", err)
	}
	defer before.Close()
	if err := s.Reload(mustParse(t, base+"    ssh: {host_key_seed: other}\n")); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if out := execOutput(t, before, "ping 10.0.0.1"); !strings.Contains(out, "Success rate is 100 percent") {
		t.Errorf("session from before the reload: %q", out)
	}
	if c, err := dial(t, s, "r1", "admin", "secret"); err == nil {
		c.Close()
		t.Fatal("the old pinned key still matches")
	} else if !strings.Contains(err.Error(), "host key mismatch") {
		t.Errorf("login with the old pinned key: %v, want a host key mismatch", err)
	}
	_, shown, err := client{}.connect(t, s)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if !bytes.Equal(shown.Marshal(), DeriveHostKey("other", KeyED25519).PublicKey().Marshal()) {
		t.Error("the key after the reload is not the new seed's")
	}
}
