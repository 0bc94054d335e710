package proto

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// The grammars below are the single definition of what may reach a router's
// CLI or a NATS subject. The config validates against them before anything
// starts, and the worker validates again before it builds a command.
//
// Every value ValidTarget, ValidVRF and ValidSource accept is also one CLI
// token as ValidCommandToken defines it: printable ASCII from a small set,
// with no space, control character or IPv6 zone. So a value that passes can
// never smuggle a second command (newline, ';') or an extra ping option (a
// space) onto the device. The worker checks every word of the line it types
// against ValidCommandToken once more, whatever built it.
var (
	// nameRE is a device or site name: one NATS subject token.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
	// hostLabelRE is one label of an RFC 1123 host name.
	hostLabelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	// addrRE is the characters an IPv4 or IPv6 address literal without a
	// zone is made of; it backs up netip.ParseAddr, whose zone is free text.
	addrRE = regexp.MustCompile(`^[0-9A-Fa-f.:]{2,45}$`)
	// vrfRE is a VRF / routing-instance name as IOS, XR, NX-OS, EOS and
	// JunOS accept them, minus anything a CLI would treat specially.
	vrfRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$`)
	// ifaceRE is an interface name: Loopback0, GigabitEthernet0/0/0.100,
	// Ethernet1/1, ge-0/0/0.0, Management1, mgmt0.
	ifaceRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9/._:-]{0,63}$`)
	// tokenRE is one word of a command line typed on a device.
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9_.:/][A-Za-z0-9_.:/-]{0,254}$`)
)

// MaxCommandToken is the longest word ValidCommandToken accepts: a host name
// (253 characters) with its trailing dot fits.
const MaxCommandToken = 255

// ValidName reports whether s can name a device or a site. Names become NATS
// subject tokens and store keys, so '.', '*', '>' and white space are
// rejected.
func ValidName(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%q is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)", s)
	}
	return nil
}

// ValidCommandToken reports whether s may be typed on a device as one word of
// a command line: letters, digits, '_', '.', '/', ':' and '-', not starting
// with '-', at most MaxCommandToken long. White space, control characters,
// non-ASCII characters and everything a CLI treats specially (';', '|', '%',
// '?', quotes) are refused.
func ValidCommandToken(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if !tokenRE.MatchString(s) {
		return fmt.Errorf("%q is not a command word (letters, digits, '_', '.', '/', ':', '-', at most %d, not starting with '-')", s, MaxCommandToken)
	}
	return nil
}

// ValidTarget reports whether s is an IPv4 or IPv6 address or a host name,
// the only things a ping target may be. IPv6 zones ("fe80::1%eth0") are
// refused: the zone is free text to netip.ParseAddr, and routers take the
// egress interface as a ping option (the source), not as part of the address.
func ValidTarget(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if isAddr(s) || isHostName(s) {
		return nil
	}
	if hasZone(s) {
		return fmt.Errorf("%q is not an IP address or host name (IPv6 zones are not allowed: give the interface as the ping source)", s)
	}
	return fmt.Errorf("%q is not an IP address or host name", s)
}

// ValidPingTarget reports whether s may be the target of a ping typed on a
// router: a ValidTarget that, when it is a host name, has at least two
// labels. A single word is where a router's CLI expects its keywords
// (`ping vrf`, `ping ip`, IOS's abbreviations like `rep`), so a target
// named `vrf` would be read as one and shift every option after it.
func ValidPingTarget(s string) error {
	if err := ValidTarget(s); err != nil {
		return err
	}
	if !isAddr(s) && !strings.Contains(strings.TrimSuffix(s, "."), ".") {
		return fmt.Errorf("%q is a single-word host name: give an IP address or a fully qualified name (a single word may be read as a ping keyword)", s)
	}
	return nil
}

// isAddr reports whether s is an IP address literal without a zone, made
// only of the characters such a literal has.
func isAddr(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == "" && addrRE.MatchString(s)
}

// hasZone reports whether s parses as an IPv6 address with a zone.
func hasZone(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() != ""
}

func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	s = strings.TrimSuffix(s, ".")
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if !hostLabelRE.MatchString(l) {
			return false
		}
	}
	// A name made only of digits and dots is a malformed address, not a host.
	return strings.Trim(s, "0123456789.") != ""
}

// ValidVRF reports whether s may be used as a VRF or routing-instance name.
// The empty string (the global table) is valid.
func ValidVRF(s string) error {
	if s == "" || vrfRE.MatchString(s) {
		return nil
	}
	return fmt.Errorf("%q is not a valid VRF name (letters, digits, '_', '-', '.', ':', at most 32)", s)
}

// ValidSource reports whether s may be used as a ping source: an interface
// name or an IP address. The empty string (the device picks) is valid. As in
// ValidTarget, an IPv6 zone is refused.
func ValidSource(s string) error {
	if s == "" {
		return nil
	}
	if isAddr(s) || ifaceRE.MatchString(s) {
		return nil
	}
	if hasZone(s) {
		return fmt.Errorf("%q is not an interface name or IP address (IPv6 zones are not allowed: give the interface itself as the source)", s)
	}
	return fmt.Errorf("%q is not an interface name or IP address", s)
}
