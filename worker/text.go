package worker

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxText bounds each piece of device text that leaves the worker (a
// device's error message, a failure's text), in bytes.
const MaxText = 1024

// CleanText makes device text fit to leave the worker, in a result, a log
// line or an email: valid UTF-8 (invalid bytes become U+FFFD, which also
// keeps the result encodable: protobuf strings must be UTF-8), terminal
// escape sequences removed, control characters removed but for newline and
// tab, and at most max bytes, cut on a character boundary and ended with
// "…" when cut.
func CleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(min(len(s), max+3))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\x1b':
			i += escapeLen(s[i:])
			continue
		case r == '\n' || r == '\t':
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			i += size
			continue
		}
		if b.Len()+len(s)-i > max && b.Len()+size > max-len("…") {
			// The rest may not fit: cut here, with room for "…".
			if b.Len()+len("…") <= max {
				b.WriteString("…")
			}
			break
		}
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

// escapeLen is the length of the terminal escape sequence at the start of
// s (which starts with ESC): a CSI sequence (ESC [ parameters final), an
// OSC string (ESC ] … BEL or ESC \), or ESC and one more character.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']':
		for i := 2; i < len(s); i++ {
			if s[i] == '\a' {
				return i + 1
			}
			if s[i] == '\x1b' && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	default:
		_, size := utf8.DecodeRuneInString(s[1:])
		return 1 + size
	}
}
