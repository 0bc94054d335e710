package proto

import "strings"

// The short names are the enum value names without their type prefix. They
// are what people read and type: in emails, JSON output and the CLI.
const (
	failurePrefix = "FAILURE_KIND_"
	statusPrefix  = "LINK_STATUS_"
)

// Short returns the kind's short name ("TIMEOUT", "AUTH_FAILED", ...), or ""
// for FAILURE_KIND_UNSPECIFIED, which means no failure, and for values this
// build does not know.
func (k FailureKind) Short() string {
	if k == FailureKind_FAILURE_KIND_UNSPECIFIED {
		return ""
	}
	return shortName(FailureKind_name, int32(k), failurePrefix)
}

// FailureKindFromShort returns the kind whose short name is s, ignoring
// case. An unknown or empty s gives FAILURE_KIND_UNSPECIFIED.
func FailureKindFromShort(s string) FailureKind {
	return FailureKind(fromShort(FailureKind_value, s, failurePrefix))
}

// Short returns the status's short name ("UP", "DOWN", "DROP", "ERROR"), or
// "" for LINK_STATUS_UNSPECIFIED and for values this build does not know.
func (s LinkStatus) Short() string {
	if s == LinkStatus_LINK_STATUS_UNSPECIFIED {
		return ""
	}
	return shortName(LinkStatus_name, int32(s), statusPrefix)
}

// LinkStatusFromShort returns the status whose short name is s, ignoring
// case. An unknown or empty s gives LINK_STATUS_UNSPECIFIED.
func LinkStatusFromShort(s string) LinkStatus {
	return LinkStatus(fromShort(LinkStatus_value, s, statusPrefix))
}

func shortName(names map[int32]string, v int32, prefix string) string {
	name, ok := names[v]
	if !ok {
		return ""
	}
	return strings.TrimPrefix(name, prefix)
}

func fromShort(values map[string]int32, s, prefix string) int32 {
	if s == "" {
		return 0
	}
	return values[prefix+strings.ToUpper(s)]
}
