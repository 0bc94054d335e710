package proto

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// The grammars below are the single definition of what may reach a router's
// CLI or a NATS subject. The config validates against them before anything
// starts, and the worker validates again before it types a command, so a
// value that passes can never smuggle a second command (newline, ';') or an
// extra ping option (a space) onto the device.
var (
	// nameRE is a device or site name: one NATS subject token.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)
	// hostLabelRE is one label of an RFC 1123 host name.
	hostLabelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	// vrfRE is a VRF / routing-instance name as IOS, XR, NX-OS, EOS and
	// JunOS accept them, minus anything a CLI would treat specially.
	vrfRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,31}$`)
	// ifaceRE is an interface name: Loopback0, GigabitEthernet0/0/0.100,
	// Ethernet1/1, ge-0/0/0.0, Management1, mgmt0.
	ifaceRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9/._:-]{0,63}$`)
)

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

// ValidTarget reports whether s is an IPv4 or IPv6 address or a host name,
// the only things a ping target may be.
func ValidTarget(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if isHostName(s) {
		return nil
	}
	return fmt.Errorf("%q is not an IP address or host name", s)
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
// name or an IP address. The empty string (the device picks) is valid.
func ValidSource(s string) error {
	if s == "" {
		return nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if ifaceRE.MatchString(s) {
		return nil
	}
	return fmt.Errorf("%q is not an interface name or IP address", s)
}
