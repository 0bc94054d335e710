package api

import (
	"bytes"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// A stored device record is passed into a status page as it is stored
// (spliced), when nothing asked for needs its links: status reads only
// its name, site and receive time, from the top level of its JSON, and
// checks that the whole record is one valid JSON object. Decoding every
// record and encoding it again cost most of a page's time.
//
// A record is spliced only when what status reads from it is what
// encoding/json would decode: its keys have no escapes, the keys that
// decode into name, site and received (encoding/json matches keys by
// case folding) are spelled exactly so, name and site are plain strings
// and name is the key it is stored under, received is a time, and no key
// decodes into what status adds (stale, not_probed). Any other record is
// decoded and encoded again, as it always was, with the same errors.

// recordHead is what status reads from a record it splices.
type recordHead struct {
	name, site string
	received   time.Time
}

// headKeys are the keys of a record that status reads or adds, as
// encoding/json matches them.
var headKeys = []string{"name", "site", "received", "stale", "not_probed"}

// peekRecord reads the head of a stored record and reports whether the
// record can be spliced as it is.
func peekRecord(r state.RawDevice) (recordHead, bool) {
	var h recordHead
	var haveName bool
	s := jsonScanner{b: r.JSON}
	ok := s.members(0, func(key []byte) bool {
		value, ok := s.skip(0)
		if !ok || bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		for _, k := range headKeys {
			if !bytes.EqualFold(key, []byte(k)) {
				continue
			}
			switch string(key) {
			case "name":
				haveName = true
				return plainString(value, &h.name)
			case "site":
				return plainString(value, &h.site)
			case "received":
				var t time.Time
				if len(value) == 0 || value[0] != '"' || t.UnmarshalJSON(value) != nil {
					return false
				}
				h.received = t
				return true
			}
			return false // spelt otherwise, or stale, not_probed
		}
		return true
	}) && s.i == len(r.JSON)
	return h, ok && haveName && h.name == r.Name && exactText(r.JSON)
}

// exactText reports whether encoding/json would write the strings of b as
// they are: valid UTF-8 without U+2028 or U+2029 (which it escapes). A
// record that is not, which only a hand or a fault could have stored, is
// decoded and encoded again, so a page always holds what encoding/json
// makes.
func exactText(b []byte) bool {
	return utf8.Valid(b) && !bytes.ContainsRune(b, '\u2028') && !bytes.ContainsRune(b, '\u2029')
}

// plainString sets *s to value when it is a JSON string of ASCII
// without escapes, which encoding/json would decode as it is (it replaces
// invalid UTF-8).
func plainString(value []byte, s *string) bool {
	if len(value) < 2 || value[0] != '"' {
		return false
	}
	for _, c := range value[1 : len(value)-1] {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	*s = string(value[1 : len(value)-1])
	return true
}

// maxDepth bounds the nesting of a record that is spliced; a deeper one
// is decoded instead.
const maxDepth = 64

// jsonScanner checks JSON (RFC 8259, as encoding/json accepts it) from b[i].
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// skip passes one value at s.i (no space before it), checking it, and
// returns it.
func (s *jsonScanner) skip(depth int) ([]byte, bool) {
	start := s.i
	var ok bool
	switch c := s.peek(); {
	case c == '{':
		ok = s.members(depth+1, nil)
	case c == '[':
		ok = s.elements(depth+1, nil)
	case c == '"':
		ok = s.str()
	case c == 't':
		ok = s.literal("true")
	case c == 'f':
		ok = s.literal("false")
	case c == 'n':
		ok = s.literal("null")
	default:
		ok = s.number()
	}
	return s.b[start:s.i], ok
}

// members walks the object at s.i (at depth, the object's own): for each
// member it calls member with the key (between its quotes) and s.i at the
// value, which member must pass (skip it, or read it); member returning
// false fails the walk. A nil member skips every value.
func (s *jsonScanner) members(depth int, member func(key []byte) bool) bool {
	if depth > maxDepth || s.peek() != '{' {
		return false
	}
	s.i++
	s.space()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		start := s.i
		if s.peek() != '"' || !s.str() {
			return false
		}
		key := s.b[start+1 : s.i-1]
		s.space()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.space()
		if member == nil && !s.skipped(depth) || member != nil && !member(key) {
			return false
		}
		if more, ok := s.after('}'); !more {
			return ok
		}
	}
}

// skipped skips a value, reporting whether it was valid.
func (s *jsonScanner) skipped(depth int) bool {
	_, ok := s.skip(depth)
	return ok
}

// after passes what follows a member or an element: ',' and space (more),
// or closing, the end of its object or array (ok), or nothing else.
func (s *jsonScanner) after(closing byte) (more, ok bool) {
	s.space()
	switch s.peek() {
	case ',':
		s.i++
		s.space()
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

// elements walks the array at s.i as members does an object, calling
// element with s.i at each value (nil: skipping each).
func (s *jsonScanner) elements(depth int, element func() bool) bool {
	if depth > maxDepth || s.peek() != '[' {
		return false
	}
	s.i++
	s.space()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		if element == nil && !s.skipped(depth) || element != nil && !element() {
			return false
		}
		if more, ok := s.after(']'); !more {
			return ok
		}
	}
}

// str checks a string at s.i, its opening quote.
func (s *jsonScanner) str() bool {
	for s.i++; s.i < len(s.b); {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+5 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (s *jsonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits skips one digit or more.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
