package worker

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyPolicy decides which host key a device may present before it is
// sent a password. There are three: KnownHosts (strict, an OpenSSH
// known_hosts file), TrustOnFirstUse (the first key seen is pinned and
// every later one must equal it) and InsecureHostKeys (anything goes, an
// explicit opt-out). A Prober without a policy contacts no device.
type HostKeyPolicy interface {
	// ForDevice returns the check of d's host key, run during the
	// handshake before any authentication, and the host-key algorithms to
	// ask for first (those of the listed or pinned key; nil when there is
	// none). An error means d must not be contacted.
	ForDevice(ctx context.Context, d Device) (ssh.HostKeyCallback, []string, error)
}

// InsecureHostKeys accepts any host key: a password goes to whatever
// answers at a device's address. Only for labs, and said at every start.
type InsecureHostKeys struct{}

// ForDevice accepts any key.
func (InsecureHostKeys) ForDevice(context.Context, Device) (ssh.HostKeyCallback, []string, error) {
	return ssh.InsecureIgnoreHostKey(), nil, nil // #nosec G106 -- the operator's explicit choice (host_keys: insecure)
}

// KnownHosts checks host keys against OpenSSH known_hosts files: ForSite
// returns the check for a site's devices (sites may have files of their
// own, as overlapping private address spaces need). A device the file
// does not list, or lists with another key, is refused.
type KnownHosts struct {
	ForSite func(site string) (ssh.HostKeyCallback, error)
}

// KnownHostsFile is the KnownHosts policy of one known_hosts callback for
// every site (knownhosts.New).
func KnownHostsFile(cb ssh.HostKeyCallback) KnownHosts {
	return KnownHosts{ForSite: func(string) (ssh.HostKeyCallback, error) { return cb, nil }}
}

// ForDevice returns the site's check and the listed keys' algorithms.
func (k KnownHosts) ForDevice(_ context.Context, d Device) (ssh.HostKeyCallback, []string, error) {
	cb, err := k.ForSite(d.Site)
	if err != nil {
		return nil, nil, &hostKeySourceError{err: fmt.Errorf("known_hosts of site %s: %w", d.Site, err)}
	}
	return cb, knownHostKeyAlgorithms(cb, d.Host, d.Port), nil
}

// Pin is a host key pinned for a device on first contact.
type Pin struct {
	Key      ssh.PublicKey
	Address  string    // host:port it answered at
	PinnedAt time.Time // when
	Worker   string    // which worker pinned it
}

// Pins keeps the pinned host keys of devices, shared by all workers of a
// site (a JetStream key-value bucket, or a file for `linkwatch check`).
type Pins interface {
	// Pinned returns the pin of a device, nil when it has none.
	Pinned(ctx context.Context, site, device string) (*Pin, error)
	// Pin pins p for a device that has no pin yet and returns the pin in
	// force afterwards: p, or the one another worker pinned first.
	Pin(ctx context.Context, site, device string, p Pin) (*Pin, error)
	// ForgetHint says how an operator removes a device's pin after a
	// legitimate key change.
	ForgetHint(site, device string) string
}

// TrustOnFirstUse pins the key a device presents at first contact and
// refuses, before any password is sent, a device that later presents
// another. Worker names the pinning worker in the pin.
type TrustOnFirstUse struct {
	Pins   Pins
	Worker string
	Now    func() time.Time
}

// ForDevice reads the device's pin and returns the check against it, or,
// for a device never seen, the check that pins what it presents.
func (t TrustOnFirstUse) ForDevice(ctx context.Context, d Device) (ssh.HostKeyCallback, []string, error) {
	pinned, err := t.Pins.Pinned(ctx, d.Site, d.Name)
	if err != nil {
		return nil, nil, &hostKeySourceError{err: fmt.Errorf("read the pinned host key: %w", err)}
	}
	if pinned != nil {
		return func(_ string, _ net.Addr, key ssh.PublicKey) error {
			return samePin(d, pinned, key, t.Pins.ForgetHint(d.Site, d.Name))
		}, algorithmsForKey(pinned.Key.Type()), nil
	}
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		now := time.Now
		if t.Now != nil {
			now = t.Now
		}
		p := Pin{Key: key, Address: net.JoinHostPort(d.Host, strconv.Itoa(d.Port)), PinnedAt: now().UTC(), Worker: t.Worker}
		inForce, err := t.Pins.Pin(ctx, d.Site, d.Name, p)
		if err != nil {
			return &hostKeySourceError{err: fmt.Errorf("pin the host key: %w", err)}
		}
		return samePin(d, inForce, key, t.Pins.ForgetHint(d.Site, d.Name))
	}, nil, nil
}

// samePin refuses a key other than the pinned one; forget says how to
// unpin it.
func samePin(d Device, pinned *Pin, key ssh.PublicKey, forget string) error {
	if pinned == nil || pinned.Key == nil {
		return &hostKeySourceError{err: errors.New("no pin to compare the host key with")}
	}
	if bytes.Equal(pinned.Key.Marshal(), key.Marshal()) {
		return nil
	}
	return &HostKeyChangedError{Site: d.Site, Device: d.Name, Presented: key, Pinned: *pinned, Forget: forget}
}

// HostKeyChangedError is a device presenting a key other than its pin.
type HostKeyChangedError struct {
	Site, Device string
	Presented    ssh.PublicKey
	Pinned       Pin
	Forget       string // how to unpin it (Pins.ForgetHint)
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("host key changed: the device presented %s %s, but %s %s was pinned at %s by %s; "+
		"no password was sent. If the key changed legitimately (new device, regenerated key), %s",
		e.Presented.Type(), ssh.FingerprintSHA256(e.Presented), e.Pinned.Key.Type(), ssh.FingerprintSHA256(e.Pinned.Key),
		e.Pinned.PinnedAt.Format(time.RFC3339), e.Pinned.Worker, e.Forget)
}

// hostKeySourceError is a policy that could not say which key is right
// (its file or bucket unreadable): the device is not contacted, and the
// failure is the worker's, not the device's.
type hostKeySourceError struct{ err error }

func (e *hostKeySourceError) Error() string { return e.err.Error() }
func (e *hostKeySourceError) Unwrap() error { return e.err }

// errNoHostKeyPolicy refuses to contact devices without a policy.
var errNoHostKeyPolicy = &hostKeySourceError{err: errors.New("no host key policy: set worker.host_keys")}

// knownHostKeyAlgorithms returns the host-key algorithms to ask of the
// device at host:port first: those of the keys the known_hosts callback
// lists for it, so that a device with several host keys (RSA and ECDSA,
// say) presents the one that is listed rather than the one Go prefers,
// which would read as a changed key. It is nil when the callback lists
// none for the device.
//
// The callback has no lookup, so it is asked about a key no device has
// and its knownhosts.KeyError says which keys it wanted.
func knownHostKeyAlgorithms(cb ssh.HostKeyCallback, host string, port int) []string {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	var ke *knownhosts.KeyError
	if err := cb(addr, &net.TCPAddr{IP: net.IPv4zero, Port: port}, probeKey); !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		for _, a := range algorithmsForKey(k.Key.Type()) {
			if !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	return algos
}

// algorithmsForKey are the signature algorithms a host key of type t may
// sign the handshake with: an RSA key with SHA-2 first.
func algorithmsForKey(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSA}
	}
	return []string{t}
}

// probeKey is a public key no device has: the ed25519 key of an all-zero
// seed, only ever compared, never trusted.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public())
	if err != nil {
		panic(err)
	}
	return k
}()
