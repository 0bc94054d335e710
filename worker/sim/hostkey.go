package sim

import (
	"crypto/ed25519"
	"crypto/sha256"

	"golang.org/x/crypto/ssh"
)

// hostKeySeedPrefix makes the host key seed of a device name; changing it
// changes every simulated device's key.
const hostKeySeedPrefix = "linkwatch-sim host key:"

// HostKey returns the SSH host key of the device called name: an ed25519 key
// derived from the name alone, so it is the same across restarts and tests
// can write known_hosts files before starting a server.
func HostKey(name string) ssh.Signer {
	seed := sha256.Sum256([]byte(hostKeySeedPrefix + name))
	s, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		// An ed25519 private key is always a valid signer.
		panic("sim: host key: " + err.Error())
	}
	return s
}

// HostPublicKey returns the public half of HostKey(name).
func HostPublicKey(name string) ssh.PublicKey { return HostKey(name).PublicKey() }
