package ping

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// Limits on Params, the intersection of what every supported platform
// accepts and what a link check needs.
const (
	MinCount   = 1
	MaxCount   = 1000
	MinTimeout = time.Second
	MaxTimeout = 60 * time.Second
	MinSize    = 36
	MaxSize    = 18024
)

// Validate reports the first thing in p that may not be typed on a device.
func (p Params) Validate() error {
	if err := proto.ValidTarget(p.Target); err != nil {
		return fmt.Errorf("ping target: %w", err)
	}
	if err := proto.ValidVRF(p.VRF); err != nil {
		return fmt.Errorf("ping vrf: %w", err)
	}
	if err := proto.ValidSource(p.Source); err != nil {
		return fmt.Errorf("ping source: %w", err)
	}
	if p.Count < MinCount || p.Count > MaxCount {
		return fmt.Errorf("ping count: %d is out of range %d..%d", p.Count, MinCount, MaxCount)
	}
	if p.Timeout < MinTimeout || p.Timeout > MaxTimeout || p.Timeout%time.Second != 0 {
		return fmt.Errorf("ping timeout: %s is not a whole number of seconds in %s..%s", p.Timeout, MinTimeout, MaxTimeout)
	}
	if p.Size != 0 && (p.Size < MinSize || p.Size > MaxSize) {
		return fmt.Errorf("ping size: %d is out of range %d..%d (or 0 for the platform default)", p.Size, MinSize, MaxSize)
	}
	return nil
}

// Budget is how long the device may take to finish this ping: every probe
// timing out, plus 10 % and 5 s for the CLI itself. Used as the read timeout,
// it lets a dead target end in a clean 0/N instead of a read timeout.
func (p Params) Budget() time.Duration {
	all := time.Duration(p.Count) * p.Timeout
	return all + all/10 + 5*time.Second
}

// seconds is the timeout as the CLI wants it: a whole number of seconds.
func (p Params) seconds() string {
	return strconv.Itoa(int(p.Timeout / time.Second))
}

// sourceIsAddress reports whether the source is an IP address rather than an
// interface name; some platforms take the two under different keywords.
func (p Params) sourceIsAddress() bool {
	_, err := netip.ParseAddr(p.Source)
	return err == nil
}

// targetIsIPv6 reports whether the target is an IPv6 address literal.
func (p Params) targetIsIPv6() bool {
	a, err := netip.ParseAddr(p.Target)
	return err == nil && a.Is6()
}

// words builds a command line from keyword/value pairs, leaving out every
// pair whose value is empty.
type words []string

func (w words) add(kw, v string) words {
	if v == "" {
		return w
	}
	return append(w, kw, v)
}

func (w words) String() string { return strings.Join(w, " ") }

// sizeString is the size option's value, "" for the platform default.
func (p Params) sizeString() string {
	if p.Size == 0 {
		return ""
	}
	return strconv.Itoa(p.Size)
}

func itoa(n int) string { return strconv.Itoa(n) }
