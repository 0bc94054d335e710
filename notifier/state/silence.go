package state

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/proto"
)

// Bounds of a silence: what the API accepts from an operator.
const (
	// MaxSilenceFor is the longest a silence may last: a longer
	// maintenance is better served by taking the device out of the
	// inventory, and a typo (300h for 30h) must not mute a device for
	// months.
	MaxSilenceFor = 30 * 24 * time.Hour
	// MaxSilenceComment is the longest comment, in bytes.
	MaxSilenceComment = 500
	// MaxSilenceAuthor is the longest CreatedBy (and ExpiredBy), in bytes.
	MaxSilenceAuthor = 200
	// MaxSilences is how many silences the store may hold: in force, to
	// come, or ended and not yet pruned. It bounds the answer to silence
	// list (about 1.3 KB a silence at most, under NATS's 1 MB payload).
	MaxSilences = 500
	// SilenceRetention is how long an ended silence is kept, for silence
	// list, before it is pruned.
	SilenceRetention = 7 * 24 * time.Hour
)

// ErrNoSilence is returned for a silence ID the store does not hold.
var ErrNoSilence = errors.New("no such silence")

// ErrTooManySilences is returned by AddSilence when the store holds as
// many silences as it allows.
var ErrTooManySilences = errors.New("too many silences")

// Silence holds back the alerts of a site, a device or one link for a
// while; their changes still go to the history. At least one of Site and
// Device is set. A silence with only Site covers everything at the site,
// site-level alerts included; with Device, the device's links and its
// reachability; with Target too, only that link.
type Silence struct {
	ID     string `json:"id"`
	Site   string `json:"site,omitempty"`
	Device string `json:"device,omitempty"`
	// Target is a link's key (LinkKey: the address, with "%VRF" when the
	// link has one).
	Target  string    `json:"target,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"` // exclusive; set to the expiry time by ExpireSilence
	Comment string    `json:"comment"`
	// CreatedBy is who asked for it (user@host of the CLI), Created when.
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	// ExpiredBy is who ended it early, if anyone.
	ExpiredBy string `json:"expired_by,omitempty"`
	// Window names the maintenance window of the configuration this
	// silence is an occurrence of; "" for a silence of the store.
	Window string `json:"window,omitempty"`
}

// Active reports whether s is in force at t.
func (s Silence) Active(t time.Time) bool {
	return !t.Before(s.Start) && t.Before(s.End)
}

// Matches reports whether s, at t, holds back an alert about target of
// device at site (target "": the device's reachability; device "": the
// site itself).
func (s Silence) Matches(site, device, target string, t time.Time) bool {
	return s.Active(t) && s.Covers(site, device) && (s.Target == "" || s.Target == target)
}

// Covers reports whether s is about device at site (or any of its links),
// whether or not it is in force: the devices to reconcile when it ends.
func (s Silence) Covers(site, device string) bool {
	return (s.Site == "" || s.Site == site) && (s.Device == "" || s.Device == device)
}

// Validate checks what an operator sent before it is stored: names of
// proto's grammar, a target that is a link key, a comment and an author of
// bounded printable text, and a span that is not empty, not in the past
// at now, and not longer than MaxSilenceFor.
func (s Silence) Validate(now time.Time) error {
	var errs []error
	if s.Site == "" && s.Device == "" {
		errs = append(errs, errors.New("give a device or a site (or both)"))
	}
	if s.Site != "" {
		errs = append(errs, prefixed("site", proto.ValidName(s.Site)))
	}
	if s.Device != "" {
		errs = append(errs, prefixed("device", proto.ValidName(s.Device)))
	}
	if s.Target != "" {
		if s.Device == "" {
			errs = append(errs, errors.New("target: a target needs its device"))
		}
		errs = append(errs, prefixed("target", validLinkKey(s.Target)))
	}
	errs = append(errs, prefixed("comment", boundedText(s.Comment, MaxSilenceComment, true)),
		prefixed("created_by", ValidAuthor(s.CreatedBy)))
	switch {
	case !s.End.After(now):
		errs = append(errs, fmt.Errorf("end %s is in the past", s.End.UTC().Format(time.RFC3339)))
	case !s.End.After(s.Start):
		errs = append(errs, fmt.Errorf("end %s is not after start %s", s.End.UTC().Format(time.RFC3339), s.Start.UTC().Format(time.RFC3339)))
	case s.End.Sub(now) > MaxSilenceFor || s.End.Sub(s.Start) > MaxSilenceFor:
		errs = append(errs, fmt.Errorf("a silence may last at most %s (30 days); this one would last until %s",
			MaxSilenceFor, s.End.UTC().Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

func prefixed(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ValidAuthor checks who a silence says added or expired it: at most
// MaxSilenceAuthor bytes of printable UTF-8, possibly empty.
func ValidAuthor(s string) error {
	if strings.ContainsRune(s, '\n') {
		return errors.New("has a newline")
	}
	return boundedText(s, MaxSilenceAuthor, false)
}

// validLinkKey checks a target as a link key: an address or host name,
// with "%VRF" when the link has one.
func validLinkKey(key string) error {
	addr, vrf, hasVRF := strings.Cut(key, "%")
	if err := proto.ValidTarget(addr); err != nil {
		return err
	}
	if hasVRF && vrf == "" {
		return fmt.Errorf("%q has an empty VRF after %%", key)
	}
	return proto.ValidVRF(vrf)
}

// boundedText checks free text: valid UTF-8, at most max bytes, no control
// characters (a newline is allowed in a comment).
func boundedText(s string, max int, required bool) error {
	switch {
	case s == "" && required:
		return errors.New("is required (say why, for the next shift)")
	case len(s) > max:
		return fmt.Errorf("is %d bytes long, more than %d", len(s), max)
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return fmt.Errorf("has a control character %U", r)
		}
	}
	return nil
}

// Silences is a set of silences; Silenced makes it the predicate of
// Rules.Silenced.
type Silences []Silence

// Silenced returns Rules.Silenced for the set at now: whether an alert
// about target of device at site is held back.
func (ss Silences) Silenced(now time.Time) func(site, device, target string) bool {
	if len(ss) == 0 {
		return nil
	}
	return func(site, device, target string) bool {
		for _, s := range ss {
			if s.Matches(site, device, target, now) {
				return true
			}
		}
		return false
	}
}
