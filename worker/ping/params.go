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
	if err := proto.ValidPingTarget(p.Target); err != nil {
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

// sizeString is the size option's value, "" for the platform default.
func (p Params) sizeString() string {
	if p.Size == 0 {
		return ""
	}
	return strconv.Itoa(p.Size)
}

func itoa(n int) string { return strconv.Itoa(n) }

// field is a Params field that a ping option carries. The target is not
// one: it is the only word without a keyword.
type field int

const (
	fieldVRF field = iota
	fieldCount
	fieldTimeout
	fieldSize
	fieldSource
	numFields
)

func (f field) String() string {
	return [...]string{"vrf", "count", "timeout", "size", "source"}[f]
}

// value is the text of f in p as a command line carries it; "" leaves the
// option out.
func (f field) value(p Params) string {
	switch f {
	case fieldVRF:
		return p.VRF
	case fieldCount:
		return itoa(p.Count)
	case fieldTimeout:
		return p.seconds()
	case fieldSize:
		return p.sizeString()
	default:
		return p.Source
	}
}

// syntax is the shape of one platform's ping command: the verb for a given
// Params, then the target and keyword/value options in the order the
// platform's builder adds them. keywords are the only option names the
// platform may type, each mapped to the Params field its value must be.
type syntax struct {
	name     string
	verb     func(p Params) string
	keywords map[string]field
}

// pingVerb is the verb of every platform but NX-OS's IPv6.
func pingVerb(Params) string { return "ping" }

// words starts building p's command line in syntax s.
func (s syntax) words(p Params) words { return words{syn: s, p: p} }

// words builds a command line from the target and keyword/value pairs,
// leaving out every pair whose value is empty. It records what each word is
// so that line can check the whole line against the platform's syntax.
type words struct {
	syn   syntax
	p     Params
	parts []part
}

// part is one option (kw and its value) or, with kw "", the target.
type part struct{ kw, val string }

// target adds the target, the one word without a keyword.
func (w words) target(v string) words {
	w.parts = append(w.parts[:len(w.parts):len(w.parts)], part{val: v})
	return w
}

// add adds the option kw with value v, unless v is empty.
func (w words) add(kw, v string) words {
	if v == "" {
		return w
	}
	w.parts = append(w.parts[:len(w.parts):len(w.parts)], part{kw: kw, val: v})
	return w
}

// line checks the words and joins them. The line must be exactly the verb,
// the target once, and at most one option per Params field, each under one
// of the platform's keywords with exactly that field's value, no field with
// a value left out; every word must pass proto.ValidCommandToken. This is the
// last check before a line is typed on a device, so it holds even for Params
// that never went through Validate.
func (w words) line() (string, error) {
	toks := []string{w.syn.verb(w.p)}
	var seen [numFields]bool
	targets := 0
	for _, pt := range w.parts {
		if pt.kw == "" {
			if pt.val != w.p.Target {
				return "", fmt.Errorf("%s ping command: target %q is not the target %q", w.syn.name, pt.val, w.p.Target)
			}
			targets++
			toks = append(toks, pt.val)
			continue
		}
		f, ok := w.syn.keywords[pt.kw]
		if !ok {
			return "", fmt.Errorf("%s ping command: %q is not one of its keywords", w.syn.name, pt.kw)
		}
		if seen[f] {
			return "", fmt.Errorf("%s ping command: %s given twice", w.syn.name, f)
		}
		seen[f] = true
		if want := f.value(w.p); pt.val != want {
			return "", fmt.Errorf("%s ping command: %s %q is not the %s %q", w.syn.name, pt.kw, pt.val, f, want)
		}
		toks = append(toks, pt.kw, pt.val)
	}
	if targets != 1 {
		return "", fmt.Errorf("%s ping command: %d targets, want 1", w.syn.name, targets)
	}
	for f := field(0); f < numFields; f++ {
		if !seen[f] && f.value(w.p) != "" {
			return "", fmt.Errorf("%s ping command: %s %q left out", w.syn.name, f, f.value(w.p))
		}
	}
	return join(w.syn.name, toks)
}

// join checks every word with proto.ValidCommandToken and joins them with
// single spaces; the result must hold printable ASCII only.
func join(platform string, toks []string) (string, error) {
	for _, t := range toks {
		if err := proto.ValidCommandToken(t); err != nil {
			return "", fmt.Errorf("%s ping command: %w", platform, err)
		}
	}
	s := strings.Join(toks, " ")
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return "", fmt.Errorf("%s ping command: byte %#x at %d is not printable ASCII", platform, s[i], i)
		}
	}
	return s, nil
}
