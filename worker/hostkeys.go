package worker

import (
	"crypto/ed25519"
	"errors"
	"net"
	"slices"
	"strconv"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

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
