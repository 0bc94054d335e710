package sim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
)

// hostKeySeedPrefix makes the host key seed of a device name; changing it
// changes every simulated device's key.
const hostKeySeedPrefix = "linkwatch-sim host key:"

// KeyType is the type of a host key.
type KeyType string

// The host key types a device may have.
const (
	KeyED25519 KeyType = "ed25519"
	KeyRSA     KeyType = "rsa"   // 2048 bits, what `crypto key generate rsa modulus 2048` makes
	KeyECDSA   KeyType = "ecdsa" // NIST P-256
)

// keyTypes are the host key types in the order the fleet file lists them
// in its errors.
var keyTypes = []KeyType{KeyED25519, KeyRSA, KeyECDSA}

// rsaBits is the size of derived RSA keys.
const rsaBits = 2048

// HostKey returns the SSH host key of the device called name, when its
// fleet entry has no ssh section: an ed25519 key derived from the name
// alone, so it is the same across restarts and tests can write known_hosts
// files before starting a server.
func HostKey(name string) ssh.Signer { return DeriveHostKey(name, KeyED25519) }

// HostPublicKey returns the public half of HostKey(name).
func HostPublicKey(name string) ssh.PublicKey { return HostKey(name).PublicKey() }

// derived caches derived keys by type and seed: an RSA key takes a while.
var derived sync.Map

// DeriveHostKey returns the host key of type t derived from seed: the same
// seed and type always give the same key, and the ed25519 key of a device's
// name is HostKey(name).
func DeriveHostKey(seed string, t KeyType) ssh.Signer {
	id := string(t) + ":" + seed
	if s, ok := derived.Load(id); ok {
		return s.(ssh.Signer)
	}
	var key crypto.Signer
	switch t {
	case KeyED25519:
		// The seed of the keys before other types existed, kept so no
		// known_hosts file goes stale.
		s := sha256.Sum256([]byte(hostKeySeedPrefix + seed))
		key = ed25519.NewKeyFromSeed(s[:])
	case KeyRSA:
		key = deriveRSA(sha256.Sum256([]byte(hostKeySeedPrefix + id)))
	case KeyECDSA:
		key = deriveECDSA(sha256.Sum256([]byte(hostKeySeedPrefix + id)))
	default:
		panic("sim: unknown host key type " + string(t))
	}
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		// Keys made here are always valid signers.
		panic("sim: host key: " + err.Error())
	}
	actual, _ := derived.LoadOrStore(id, s)
	return actual.(ssh.Signer)
}

// HostKeys returns d's host keys in the order its server offers them.
func (d *Device) HostKeys() []ssh.Signer {
	seed := d.SSH.HostKeySeed
	if seed == "" {
		seed = d.Name
	}
	var keys []ssh.Signer
	for _, t := range d.SSH.keyTypes() {
		keys = append(keys, DeriveHostKey(seed, t))
	}
	return keys
}

// HostPublicKeys returns the public halves of d's host keys, for a
// known_hosts file.
func (d *Device) HostPublicKeys() []ssh.PublicKey {
	var pubs []ssh.PublicKey
	for _, k := range d.HostKeys() {
		pubs = append(pubs, k.PublicKey())
	}
	return pubs
}

// deriveRSA makes an RSA key from a seed: its primes are the first primes
// of a ChaCha8 stream, since crypto/rsa's GenerateKey takes no randomness
// from its caller any more.
func deriveRSA(seed [32]byte) *rsa.PrivateKey {
	r := rand.NewChaCha8(seed)
	e := big.NewInt(65537)
	one := big.NewInt(1)
	for {
		p, q := prime(r, rsaBits/2), prime(r, rsaBits/2)
		if p.Cmp(q) == 0 {
			continue
		}
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(e, phi)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: int(e.Int64())},
			D:         d,
			Primes:    []*big.Int{p, q},
		}
		k.Precompute()
		if k.Validate() == nil {
			return k
		}
	}
}

// prime returns the first probable prime of bits bits, its top two bits
// set (so the product of two is twice as long), read from r. Candidates
// with a factor below 1000 are dropped before the costly test.
func prime(r *rand.ChaCha8, bits int) *big.Int {
	b := make([]byte, bits/8)
	p, m := new(big.Int), new(big.Int)
	for {
		_, _ = r.Read(b)
		b[0] |= 0xc0
		b[len(b)-1] |= 1
		p.SetBytes(b)
		if !slices.ContainsFunc(smallPrimes, func(q *big.Int) bool { return m.Mod(p, q).Sign() == 0 }) &&
			p.ProbablyPrime(20) {
			return p
		}
	}
}

// smallPrimes are the odd primes below 1000.
var smallPrimes = func() []*big.Int {
	var ps []*big.Int
	for n := int64(3); n < 1000; n += 2 {
		if big.NewInt(n).ProbablyPrime(0) {
			ps = append(ps, big.NewInt(n))
		}
	}
	return ps
}()

// deriveECDSA makes a P-256 key from a seed.
func deriveECDSA(seed [32]byte) *ecdsa.PrivateKey {
	for i := byte(0); ; i++ {
		scalar := sha256.Sum256(append(seed[:], i))
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:]); err == nil {
			return k
		}
	}
}
