package worker

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Algorithms are SSH algorithms offered to a device in addition to the
// defaults, for devices that support nothing newer: many IOS 12.x/15.x
// devices offer only diffie-hellman-group1-sha1 and CBC ciphers. They are
// offered after the defaults, so a device that can do better still does.
type Algorithms struct {
	KeyExchanges []string
	Ciphers      []string
	MACs         []string
	HostKeys     []string
}

// LegacyAlgorithms are every algorithm golang.org/x/crypto/ssh implements
// but does not offer by default because of known weaknesses.
func LegacyAlgorithms() Algorithms {
	a := ssh.InsecureAlgorithms()
	return Algorithms{KeyExchanges: a.KeyExchanges, Ciphers: a.Ciphers, MACs: a.MACs, HostKeys: a.HostKeys}
}

// AlgorithmKinds names the four lists, as the configuration spells them.
var AlgorithmKinds = []string{"key_exchanges", "ciphers", "macs", "host_key_algorithms"}

// CheckAlgorithms reports the first name in names that is not an algorithm
// of the given kind (one of AlgorithmKinds) that linkwatch can speak.
func CheckAlgorithms(kind string, names []string) error {
	known := knownAlgorithms(kind)
	if known == nil {
		return fmt.Errorf("%q is not a kind of SSH algorithm (%s)", kind, strings.Join(AlgorithmKinds, ", "))
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return fmt.Errorf("%q is not an SSH algorithm linkwatch can use here (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return nil
}

func knownAlgorithms(kind string) []string {
	s, i := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	switch kind {
	case "key_exchanges":
		return slices.Concat(s.KeyExchanges, i.KeyExchanges)
	case "ciphers":
		return slices.Concat(s.Ciphers, i.Ciphers)
	case "macs":
		return slices.Concat(s.MACs, i.MACs)
	case "host_key_algorithms":
		return slices.Concat(s.HostKeys, i.HostKeys)
	}
	return nil
}

// Add returns a with b's algorithms appended, each once.
func (a Algorithms) Add(b Algorithms) Algorithms {
	add := func(x, y []string) []string {
		out := slices.Clone(x)
		for _, n := range y {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		return out
	}
	return Algorithms{KeyExchanges: add(a.KeyExchanges, b.KeyExchanges), Ciphers: add(a.Ciphers, b.Ciphers),
		MACs: add(a.MACs, b.MACs), HostKeys: add(a.HostKeys, b.HostKeys)}
}

// defaultKeyExchanges are offered to every device: curve25519 first,
// cheaper per handshake than Go's hybrid default and what most routers
// offer; the older groups keep older IOS working.
var defaultKeyExchanges = []string{
	"curve25519-sha256", "curve25519-sha256@libssh.org", "mlkem768x25519-sha256",
	"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
	"diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1",
}

// Apply sets in cfg the algorithms a probe offers: the defaults, then
// extra (a device's ssh settings). A client measured against the
// worker's (the floor of `linkwatch bench`) offers the same, so that both
// negotiate the same key exchange.
func (extra Algorithms) Apply(cfg *ssh.ClientConfig) { extra.apply(cfg) }

// apply sets the algorithms offered in cfg: the defaults, then extra.
// A list extra leaves empty is Go's default for it.
func (extra Algorithms) apply(cfg *ssh.ClientConfig) {
	cfg.KeyExchanges = Algorithms{KeyExchanges: defaultKeyExchanges}.Add(extra).KeyExchanges
	def := ssh.SupportedAlgorithms()
	if len(extra.Ciphers) > 0 {
		cfg.Ciphers = Algorithms{Ciphers: def.Ciphers}.Add(extra).Ciphers
	}
	if len(extra.MACs) > 0 {
		cfg.MACs = Algorithms{MACs: def.MACs}.Add(extra).MACs
	}
	if len(extra.HostKeys) > 0 {
		cfg.HostKeyAlgorithms = Algorithms{HostKeys: def.HostKeys}.Add(extra).HostKeys
	}
}

// negotiationText says what the peer, a "device" or a "jump host",
// offered that linkwatch did not, and what to set in its ssh settings (at
// path settings), for a failed algorithm negotiation.
func negotiationText(err error, peer, settings string) (string, bool) {
	var ne *ssh.AlgorithmNegotiationError
	if !errors.As(err, &ne) {
		return "", false
	}
	key := map[string]string{"key exchange": "key_exchanges", "host key": "host_key_algorithms",
		"client to server cipher": "ciphers", "server to client cipher": "ciphers",
		"client to server MAC": "macs", "server to client MAC": "macs"}[ne.What]
	if key == "" {
		key = "the algorithm lists"
	}
	offered := slices.DeleteFunc(slices.Clone(ne.RequestedAlgorithms), func(a string) bool {
		// Protocol extensions announced among key exchanges, not algorithms.
		return strings.HasPrefix(a, "ext-info-") || strings.HasPrefix(a, "kex-strict-")
	})
	return fmt.Sprintf("no SSH algorithm in common for %s: the %s offers %s; allow them for this %s with %s: { legacy: true } (or list them in %s.%s)",
		ne.What, peer, strings.Join(offered, ", "), peer, settings, settings, key), true
}
