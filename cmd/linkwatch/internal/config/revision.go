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
// name, targets and their ping settings), in name order. The scheduler puts
// it in each job, and a worker compares it with its own, so a site whose
// workers run another configuration than the scheduler is seen. Passwords
// are not part of it: rotating a secret is not a new inventory. The
// encoding is explicit, field by field: a field added to Device does not
// change the revision of an unchanged inventory.
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
	if s := d.SSH; s.Legacy || len(s.KeyExchanges)+len(s.Ciphers)+len(s.MACs)+len(s.HostKeyAlgorithms) > 0 {
		fmt.Fprintf(w, "ssh legacy=%v kex=%v ciphers=%v macs=%v hostkeys=%v\n", s.Legacy, s.KeyExchanges, s.Ciphers,
			s.MACs, s.HostKeyAlgorithms)
	}
	for _, t := range d.Targets {
		fmt.Fprintf(w, "target %s vrf=%s source=%s count=%d timeout=%s size=%d\n",
			t.Address, t.VRF, t.Source, t.Count, t.Timeout, t.Size)
	}
}
