package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
)

// revisionFormat names the encoding Revision digests; change it when the
// encoding changes, so that versions with different encodings are seen to
// differ rather than to agree by accident.
const revisionFormat = "linkwatch-inventory-v1"

// Revision is the digest of one site's inventory: every device of the site
// with what a worker uses to probe it (host, port, platform, credential
// name, SSH algorithms, the jump host it is reached through, a persistent
// session, targets and their ping settings), in name order. The scheduler puts it in each job,
// and a worker compares it with its own, so a site whose workers run
// another configuration than the scheduler is seen. Passwords
// are not part of it: rotating a secret is not a new inventory. The
// encoding is explicit, field by field: a field added to Device does not
// change the revision of an unchanged inventory. Optional settings (ssh,
// jump, session) are written only when set, so an inventory that does not use one
// keeps the revision it had before the setting existed, while a worker
// that does not know a setting in use disagrees with one that does.
func (c *Config) Revision(site string) string {
	devs := c.DevicesAt(site)
	slices.SortFunc(devs, func(a, b Device) int { return strings.Compare(a.Name, b.Name) })
	h := sha256.New()
	// Every value is a validated token (no space, no newline), so spaces
	// and newlines separate them unambiguously.
	fmt.Fprintf(h, "%s\nsite %s\n", revisionFormat, site)
	for _, d := range devs {
		writeDevice(h, d)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func writeDevice(w io.Writer, d Device) {
	fmt.Fprintf(w, "device %s %s %d %s %s\n", d.Name, d.Host, d.Port, d.Platform, d.Credentials)
	writeSSH(w, "ssh", d.SSH)
	if j := d.Jump; j != nil {
		fmt.Fprintf(w, "jump %s %s %d %s\n", j.Name, j.Host, j.Port, j.Credentials)
		writeSSH(w, "jump-ssh", j.SSH)
	}
	if d.Session == SessionPersistent {
		fmt.Fprintf(w, "session %s\n", d.Session)
	}
	for _, t := range d.Targets {
		fmt.Fprintf(w, "target %s vrf=%s source=%s count=%d timeout=%s size=%d\n",
			t.Address, t.VRF, t.Source, t.Count, t.Timeout, t.Size)
	}
}

// writeSSH writes the SSH algorithm settings s, when there are any, on a
// line of their own that label starts.
func writeSSH(w io.Writer, label string, s SSH) {
	if s.Legacy || len(s.KeyExchanges)+len(s.Ciphers)+len(s.MACs)+len(s.HostKeyAlgorithms) > 0 {
		fmt.Fprintf(w, "%s legacy=%v kex=%v ciphers=%v macs=%v hostkeys=%v\n", label, s.Legacy, s.KeyExchanges, s.Ciphers,
			s.MACs, s.HostKeyAlgorithms)
	}
}
