package worker

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/localnats/localnatstest"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// pinStores are the two homes of pins: the bus's bucket, shared by a
// site's workers, and check's file.
func pinStores(t *testing.T) map[string]func(t *testing.T) Pins {
	return map[string]func(t *testing.T) Pins{
		"bucket": func(t *testing.T) Pins {
			js := localnatstest.JetStream(t)
			if err := proto.EnsureBuckets(context.Background(), js, 1); err != nil {
				t.Fatal(err)
			}
			return NewKVPins(js)
		},
		"file": func(t *testing.T) Pins {
			return &FilePins{Path: filepath.Join(t.TempDir(), "pins.json")}
		},
	}
}

// keyedShell is an SSH device with the given host keys that counts the
// passwords it is sent.
func keyedShell(t *testing.T, passwords *atomic.Int64, keys ...ssh.Signer) int {
	port, _ := shellWith(t, func(c *ssh.ServerConfig) {
		*c = ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) {
			passwords.Add(1)
			return nil, nil
		}}
		for _, k := range keys {
			c.AddHostKey(k)
		}
	}, answerUp)
	return port
}

func tofuDevice(port int) Device {
	return Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
		Password: "pw", Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}}
}

// TestTrustOnFirstUse pins the key of a device at first contact and then
// refuses, before any password, the same device answering with another
// key; a device with two keys is asked for its pinned one.
func TestTrustOnFirstUse(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	ed, ec, other := newSigner(t, edKey), newSigner(t, ecKey), newSigner(t, otherKey)
	var passwords atomic.Int64
	ecOnly := keyedShell(t, &passwords, ec)
	both := keyedShell(t, &passwords, ed, ec) // Go would pick ed25519 unasked
	impostor := keyedShell(t, &passwords, other)
	for name, store := range pinStores(t) {
		t.Run(name, func(t *testing.T) {
			pins := store(t)
			p := &Prober{HostKeys: TrustOnFirstUse{Pins: pins, Worker: "w1"}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}
			ctx := context.Background()
			if res := p.Probe(ctx, tofuDevice(ecOnly)); res.Failure != FailureNone {
				t.Fatalf("first contact: %v %s", res.Failure, res.FailureText)
			}
			pin, err := pins.Pinned(ctx, "dc1", "r1")
			if err != nil || pin == nil || string(pin.Key.Marshal()) != string(ec.PublicKey().Marshal()) || pin.Worker != "w1" {
				t.Fatalf("after first contact the pin is %+v (%v), want the ECDSA key by w1", pin, err)
			}
			// The device, now with an ed25519 key too: asked for the
			// pinned ECDSA key first, it is still itself.
			if res := p.Probe(ctx, tofuDevice(both)); res.Failure != FailureNone {
				t.Fatalf("device with the pinned key and another: %v %s", res.Failure, res.FailureText)
			}
			before := passwords.Load()
			res := p.Probe(ctx, tofuDevice(impostor))
			if res.Failure != FailureHostKeyMismatch {
				t.Fatalf("changed key: %v %s, want HOSTKEY_MISMATCH", res.Failure, res.FailureText)
			}
			if passwords.Load() != before {
				t.Error("a device with a changed host key was sent the password")
			}
			for _, want := range []string{"host key changed", ssh.FingerprintSHA256(other.PublicKey()),
				ssh.FingerprintSHA256(ec.PublicKey()), pins.ForgetHint("dc1", "r1"), "no password was sent"} {
				if !strings.Contains(res.FailureText, want) {
					t.Errorf("failure text %q lacks %q", res.FailureText, want)
				}
			}
		})
	}
}

// TestPinRace has workers of a site meet a device for the first time at
// once, the device answering each with another key (an attacker on the
// path of some): one key is pinned, and every worker agrees on it.
func TestPinRace(t *testing.T) {
	for name, store := range pinStores(t) {
		t.Run(name, func(t *testing.T) {
			pins := store(t)
			const workers = 8
			got := make([]*Pin, workers)
			var wg sync.WaitGroup
			for i := range workers {
				_, k, _ := ed25519.GenerateKey(rand.Reader)
				key := newSigner(t, k).PublicKey()
				wg.Go(func() {
					p, err := pins.Pin(context.Background(), "dc1", "r1", Pin{Key: key, Worker: "w"})
					if err != nil {
						t.Error(err)
					}
					got[i] = p
				})
			}
			wg.Wait()
			for i, p := range got {
				if p == nil || string(p.Key.Marshal()) != string(got[0].Key.Marshal()) {
					t.Fatalf("worker %d has pin %v, worker 0 %v: they must agree", i, p, got[0])
				}
			}
		})
	}
}

// TestUnreadablePin: a pin that cannot be read is never taken for "no
// pin": the device is not contacted, and the failure is the worker's.
func TestUnreadablePin(t *testing.T) {
	js := localnatstest.JetStream(t)
	ctx := context.Background()
	if err := proto.EnsureBuckets(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, proto.HostKeyBucket)
	if err != nil {
		t.Fatal(err)
	}
	var passwords atomic.Int64
	port := keyedShell(t, &passwords, newSigner(t, ed25519.NewKeyFromSeed(make([]byte, 32))))
	for _, value := range []string{`not json`, `{"key": "ssh-ed25519 AAAA"}`, `{"key": "", "extra": 1}`, strings.Repeat("x", maxPinSize+1)} {
		if _, err := kv.Put(ctx, "dc1.r1", []byte(value)); err != nil {
			t.Fatal(err)
		}
		p := &Prober{HostKeys: TrustOnFirstUse{Pins: NewKVPins(js)}, ConnectTimeout: 2 * time.Second}
		res := p.Probe(ctx, tofuDevice(port))
		if res.Failure != FailureInternal || !strings.Contains(res.FailureText, "pinned host key") {
			t.Errorf("pin %.20q: %v %q, want INTERNAL naming the pin", value, res.Failure, res.FailureText)
		}
	}
	if passwords.Load() != 0 {
		t.Errorf("%d passwords sent to a device whose pin could not be read", passwords.Load())
	}
}

// TestNoHostKeyPolicy: a prober without a policy contacts no device.
func TestNoHostKeyPolicy(t *testing.T) {
	var passwords atomic.Int64
	port := keyedShell(t, &passwords, newSigner(t, ed25519.NewKeyFromSeed(make([]byte, 32))))
	res := (&Prober{}).Probe(context.Background(), tofuDevice(port))
	if res.Failure != FailureInternal || passwords.Load() != 0 {
		t.Errorf("probe without a host key policy: %v %q, %d passwords", res.Failure, res.FailureText, passwords.Load())
	}
}

// TestScanHostKeys reads every key of a device with two, without a login.
func TestScanHostKeys(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed, ec := newSigner(t, edKey), newSigner(t, ecKey)
	var passwords atomic.Int64
	port := keyedShell(t, &passwords, ed, ec)
	scanner := &Prober{ConnectTimeout: 2 * time.Second}
	keys, err := scanner.ScanHostKeys(context.Background(), tofuDevice(port))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, ssh.FingerprintSHA256(k))
	}
	want := []string{ssh.FingerprintSHA256(ed.PublicKey()), ssh.FingerprintSHA256(ec.PublicKey())}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("scan found %v, want %v", got, want)
	}
	if passwords.Load() != 0 {
		t.Errorf("scan sent %d passwords", passwords.Load())
	}
	if _, err := scanner.ScanHostKeys(context.Background(), tofuDevice(1)); err == nil {
		t.Error("scan of a closed port succeeded")
	}
}
