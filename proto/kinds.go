package proto

import (
	"fmt"
	"strconv"
	"strings"
)

// LinkStatus and FailureKind, generated from linkwatch.proto, are the one
// definition of a link's status and of a device failure's kind: the worker,
// the ping parsers, the notifier and the CLI all use them. Their short
// names, the enum value names without their type prefix ("UP", "TIMEOUT"),
// are what people read and type (emails, JSON output, the CLI) and what
// the notifier stores. Short and the FromShort functions are the one
// mapping between the two, and the JSON (text) form of both types.
const (
	failurePrefix = "FAILURE_KIND_"
	statusPrefix  = "LINK_STATUS_"
	// unknownPrefix starts the short name of a value this build does not
	// name, e.g. "UNKNOWN_9" from a newer peer. It is never "": an unknown
	// failure kind is still a failure.
	unknownPrefix = "UNKNOWN_"
)

// Short returns the kind's short name ("TIMEOUT", "AUTH_FAILED", ...), ""
// for FAILURE_KIND_UNSPECIFIED, which means no failure, and "UNKNOWN_<n>"
// for a value this build does not name.
func (k FailureKind) Short() string {
	return shortName(FailureKind_name, int32(k), failurePrefix)
}

// Known reports whether k is a failure kind this build names, other than
// FAILURE_KIND_UNSPECIFIED.
func (k FailureKind) Known() bool { return known(FailureKind_name, int32(k)) }

// FailureKindFromShort returns the kind whose short name is s, ignoring
// case: "" is FAILURE_KIND_UNSPECIFIED and "UNKNOWN_<n>" the value n. ok is
// false for any other text, with FAILURE_KIND_UNSPECIFIED: a caller must
// not take text it does not know for "no failure".
func FailureKindFromShort(s string) (k FailureKind, ok bool) {
	v, ok := fromShort(FailureKind_value, s, failurePrefix)
	return FailureKind(v), ok
}

// MarshalText gives the kind's short name.
func (k FailureKind) MarshalText() ([]byte, error) { return []byte(k.Short()), nil }

// UnmarshalText reads a short name; other text is an error.
func (k *FailureKind) UnmarshalText(b []byte) error {
	v, ok := FailureKindFromShort(string(b))
	if !ok {
		return fmt.Errorf("%q is not a failure kind", b)
	}
	*k = v
	return nil
}

// Short returns the status's short name ("UP", "DOWN", "DROP", "ERROR"), ""
// for LINK_STATUS_UNSPECIFIED, and "UNKNOWN_<n>" for a value this build does
// not name.
func (s LinkStatus) Short() string {
	return shortName(LinkStatus_name, int32(s), statusPrefix)
}

// Known reports whether s is a status this build names, other than
// LINK_STATUS_UNSPECIFIED.
func (s LinkStatus) Known() bool { return known(LinkStatus_name, int32(s)) }

// LinkStatusFromShort returns the status whose short name is s, ignoring
// case: "" is LINK_STATUS_UNSPECIFIED and "UNKNOWN_<n>" the value n. ok is
// false for any other text, with LINK_STATUS_UNSPECIFIED.
func LinkStatusFromShort(s string) (st LinkStatus, ok bool) {
	v, ok := fromShort(LinkStatus_value, s, statusPrefix)
	return LinkStatus(v), ok
}

// MarshalText gives the status's short name.
func (s LinkStatus) MarshalText() ([]byte, error) { return []byte(s.Short()), nil }

// UnmarshalText reads a short name; other text is an error.
func (s *LinkStatus) UnmarshalText(b []byte) error {
	v, ok := LinkStatusFromShort(string(b))
	if !ok {
		return fmt.Errorf("%q is not a link status", b)
	}
	*s = v
	return nil
}

func shortName(names map[int32]string, v int32, prefix string) string {
	if v == 0 {
		return ""
	}
	name, ok := names[v]
	if !ok {
		return unknownPrefix + strconv.FormatInt(int64(v), 10)
	}
	return strings.TrimPrefix(name, prefix)
}

func known(names map[int32]string, v int32) bool {
	_, ok := names[v]
	return ok && v != 0
}

func fromShort(values map[string]int32, s, prefix string) (int32, bool) {
	if s == "" {
		return 0, true
	}
	s = strings.ToUpper(s)
	if v, ok := values[prefix+s]; ok {
		return v, v != 0
	}
	n, ok := strings.CutPrefix(s, unknownPrefix)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(n, 10, 32)
	if err != nil || strconv.FormatInt(v, 10) != n || v == 0 {
		return 0, false
	}
	for _, named := range values {
		if named == int32(v) {
			return 0, false // it has a name: only that name reads back
		}
	}
	return int32(v), true
}
