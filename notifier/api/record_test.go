package api

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// validJSON is the scanner's verdict on b as a whole document.
func validJSON(b []byte) bool {
	s := jsonScanner{b: b}
	s.space()
	_, ok := s.skip(0)
	s.space()
	return ok && s.i == len(b)
}

// jsonSamples are valid and invalid JSON around every rule of the grammar.
var jsonSamples = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.25E-2`, `true`, `false`, `null`, ` { "a" : [ 1 , 2 ] } `,
	`{"a":{"b":[{"c":"d\"e\\f\/g\b\f\n\r\t\u00e9\uD83D\uDE00"}]}}`, "\"\xff\xfe\"", `"é"`,
	`{"name":"r1","site":"dc1","links":{"10.0.0.1":{"state":"UP","rtt_avg_ms":1.25}}}`,
	// invalid
	``, ` `, `{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`, `{a:1}`, `{'a':1}`,
	`[1,]`, `[,1]`, `[1 2]`, `01`, `1.`, `.5`, `1e`, `1e+`, `-`, `+1`, `0x10`, `NaN`, `tru`, `nul`, `truex`,
	`"abc`, `"a\x"`, `"\u12"`, `"\u12G4"`, "\"a\tb\"", "\"a\nb\"", `{"a":1}}`, `{"a":1}x`, `[][]`, `"\`,
}

func TestJSONScannerAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range jsonSamples {
		if got, want := validJSON([]byte(in)), json.Valid([]byte(in)); got != want {
			t.Errorf("%q: scanner says valid=%t, encoding/json %t", in, got, want)
		}
	}
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if validJSON([]byte(deep)) {
		t.Errorf("nesting of %d passed the scanner's bound of %d", maxDepth+1, maxDepth)
	}
}

// FuzzJSONScanner: whatever the scanner accepts, encoding/json does, and
// the reverse below the scanner's nesting bound.
func FuzzJSONScanner(f *testing.F) {
	for _, in := range jsonSamples {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, want := validJSON(in), json.Valid(in)
		if got && !want || !got && want && strings.Count(string(in), "[")+strings.Count(string(in), "{") <= maxDepth {
			t.Errorf("%q: scanner says valid=%t, encoding/json %t", in, got, want)
		}
	})
}

func TestPeekRecord(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d := state.Device{Name: "r1", Site: "dc1", Received: at, Links: map[string]state.Link{
		"10.0.0.1": {Device: "r1", Site: "dc1", Target: "10.0.0.1", State: state.Up, Error: `a "quoted" \ error`}}}
	canonical, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, name2, record string
		splice              bool
	}{
		{"as the store writes it", "r1", string(canonical), true},
		{"without a receive time", "r1", `{"name":"r1","site":"dc1"}`, true},
		{"an unknown key", "r1", `{"name":"r1","site":"dc1","later_field":[1,{"x":null}]}`, true},
		{"stored under another name", "r2", string(canonical), false},
		{"no name", "r1", `{"site":"dc1"}`, false},
		{"a key spelt in capitals", "r1", `{"name":"r1","Site":"dc1"}`, false},
		{"a key folded to site by Unicode", "r1", `{"name":"r1","ſite":"dc1"}`, false},
		{"an escaped key", "r1", `{"name":"r1","s\u0069te":"dc1"}`, false},
		{"an escaped name", "r1", `{"name":"\u0072\u0031"}`, false},
		{"a site not ASCII", "r1", "{\"name\":\"r1\",\"site\":\"dc\xff\"}", false},
		// A tampered record's other strings: encoding/json would replace
		// invalid UTF-8 and escape U+2028/U+2029, so such a record is
		// decoded, never passed on as it is.
		{"invalid UTF-8 in an error", "r1", "{\"name\":\"r1\",\"links\":{\"x\":{\"error\":\"\xc3\x28\"}}}", false},
		{"a line separator in an error", "r1", "{\"name\":\"r1\",\"links\":{\"x\":{\"error\":\"a\u2028b\"}}}", false},
		{"a paragraph separator in an error", "r1", "{\"name\":\"r1\",\"links\":{\"x\":{\"error\":\"a\u2029b\"}}}", false},
		{"an escaped line separator", "r1", `{"name":"r1","links":{"x":{"error":"a\u2028b"}}}`, true},
		{"valid UTF-8 in an error", "r1", `{"name":"r1","links":{"x":{"error":"délai dépassé"}}}`, true},
		{"a site not a string", "r1", `{"name":"r1","site":7}`, false},
		{"a null site", "r1", `{"name":"r1","site":null}`, false},
		{"a receive time not a time", "r1", `{"name":"r1","received":"yesterday"}`, false},
		{"a receive time null", "r1", `{"name":"r1","received":null}`, false},
		{"stale already", "r1", `{"name":"r1","stale":false}`, false},
		{"not_probed already", "r1", `{"name":"r1","Not_Probed":true}`, false},
		{"space around", "r1", ` {"name":"r1"}`, false},
		{"space after", "r1", `{"name":"r1"} `, false},
		{"two objects", "r1", `{"name":"r1"},{"name":"r2"}`, false},
		{"cut short", "r1", string(canonical[:len(canonical)-1]), false},
		{"not an object", "r1", `["r1"]`, false},
		{"empty", "r1", ``, false},
		{"too deep", "r1", `{"name":"r1","x":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, ok := peekRecord(state.RawDevice{Name: tc.name2, JSON: []byte(tc.record)})
			if ok != tc.splice {
				t.Fatalf("spliced %t, want %t", ok, tc.splice)
			}
			if !ok {
				return
			}
			var want state.Device
			if err := json.Unmarshal([]byte(tc.record), &want); err != nil {
				t.Fatal(err)
			}
			if h.name != want.Name || h.site != want.Site || !h.received.Equal(want.Received) {
				t.Errorf("head %+v, encoding/json reads %q %q %v", h, want.Name, want.Site, want.Received)
			}
		})
	}
}
