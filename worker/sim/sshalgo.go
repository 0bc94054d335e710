package sim

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// SSHBehaviour is how a device's SSH server behaves; the zero value is a
// modern server with one ed25519 host key derived from the device's name.
type SSHBehaviour struct {
	Algorithms Algorithms
	// HostKeys are the types of the host keys offered, in order; empty
	// means ed25519, or rsa with legacy algorithms.
	HostKeys []KeyType
	// HostKeySeed is what the host keys derive from; empty means the
	// device's name. Changing it (and reloading) changes the device's keys.
	HostKeySeed string
}

// Algorithms is the set of SSH algorithms a device's server offers.
type Algorithms int

// The algorithm sets.
const (
	// Modern is golang.org/x/crypto/ssh's default set.
	Modern Algorithms = iota
	// Legacy is what an IOS 15.x offers: key exchange
	// diffie-hellman-group14-sha1 and diffie-hellman-group1-sha1, ciphers
	// aes128-cbc and 3des-cbc, MAC hmac-sha1, and ssh-rsa (SHA-1) host key
	// signatures from an RSA key.
	Legacy
	// LegacyGroup1 is an IOS 12.x: as Legacy, but the only key exchange is
	// diffie-hellman-group1-sha1.
	LegacyGroup1
)

// algorithmSets spells the sets the way the fleet file does.
var algorithmSets = map[string]Algorithms{"modern": Modern, "legacy": Legacy, "legacy-group1": LegacyGroup1}

// String renders a the way the fleet file spells it.
func (a Algorithms) String() string {
	for s, v := range algorithmSets {
		if v == a {
			return s
		}
	}
	return "invalid"
}

// apply sets cfg's algorithms to the set.
func (a Algorithms) apply(cfg *ssh.Config) {
	switch a {
	case Legacy:
		cfg.KeyExchanges = []string{ssh.InsecureKeyExchangeDH14SHA1, ssh.InsecureKeyExchangeDH1SHA1}
	case LegacyGroup1:
		cfg.KeyExchanges = []string{ssh.InsecureKeyExchangeDH1SHA1}
	default:
		return
	}
	cfg.Ciphers = []string{ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC}
	cfg.MACs = []string{ssh.HMACSHA1}
}

// hostKey is key as the set offers it: a legacy server signs with ssh-rsa
// only, never rsa-sha2-256 or rsa-sha2-512.
func (a Algorithms) hostKey(key ssh.Signer) ssh.Signer {
	as, ok := key.(ssh.AlgorithmSigner)
	if a == Modern || !ok || key.PublicKey().Type() != ssh.KeyAlgoRSA {
		return key
	}
	s, err := ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSA})
	if err != nil {
		panic("sim: restrict an RSA host key to ssh-rsa: " + err.Error())
	}
	return s
}

// keyTypes are the types of the host keys offered, in order.
func (b SSHBehaviour) keyTypes() []KeyType {
	switch {
	case len(b.HostKeys) > 0:
		return b.HostKeys
	case b.Algorithms != Modern:
		return []KeyType{KeyRSA}
	}
	return []KeyType{KeyED25519}
}

// legacyKeysOK reports whether the key types suit the set: a legacy server
// has RSA keys only.
func (b SSHBehaviour) legacyKeysOK() bool {
	return b.Algorithms == Modern || !slices.ContainsFunc(b.keyTypes(), func(t KeyType) bool { return t != KeyRSA })
}
