package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// decodesAsJSON checks that decodeReply decodes data as json.Unmarshal
// does: the same reply, or the same error.
func decodesAsJSON(t *testing.T, data []byte) {
	t.Helper()
	var got, want StatusReply
	gerr, werr := decodeReply(data, &got), json.Unmarshal(data, &want)
	if gerr != nil || werr != nil {
		if gerr == nil || werr == nil || gerr.Error() != werr.Error() {
			t.Errorf("%q: error %v, encoding/json's %v", data, gerr, werr)
		}
		return
	}
	// Compared encoded: a time's zone decoded twice is two zones.
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%q decoded\n%s\nencoding/json:\n%s", data, g, w)
	}
}

// replySamples are pages as the notifier writes them and as it never
// would: every field, escapes, nulls, keys spelt otherwise, duplicates,
// odd numbers, wrong types.
var replySamples = []string{
	`{"devices":[]}`,
	`{"devices":[],"sites":[{"name":"dc2","blind":true}],"at":"2026-11-23T12:00:00Z","stale_after":600000000000,"next":"r1"}`,
	`{"devices":[{"name":"r1","site":"dc1","last_result":"2026-11-23T12:00:00Z","last_scheduled":"2026-11-23T12:00:00+01:00",` +
		`"failure":"TIMEOUT","failure_text":"x","failure_since":"2026-11-23T11:00:00Z","failed_in_a_row":3,"reached_in_a_row":-1,` +
		`"worker":"w1","received":"2026-11-23T12:00:00.123456789Z","notified":"UNREACHABLE","notified_at":"2026-11-23T12:00:00Z",` +
		`"flapping":true,"flapping_since":"2026-11-23T12:00:00Z","flaps":["2026-11-23T12:00:00Z"],` +
		`"links":{"10.0.0.1":{"device":"r1","site":"dc1","target":"10.0.0.1","vrf":"v","state":"UP","since":"2026-11-23T12:00:00Z",` +
		`"last_checked":"2026-11-23T12:00:00Z","sent":5,"received":4,"loss_percent":20,"rtt_avg_ms":1.25,"error":"e","pending":"DOWN",` +
		`"pending_count":1,"notified":"UP","notified_at":"2026-11-23T12:00:00Z","flapping":true,"flapping_since":"2026-11-23T12:00:00Z",` +
		`"flaps":["2026-11-23T12:00:00Z"]}},"recent":[{"scheduled":"2026-11-23T12:00:00Z","checked":"2026-11-23T12:00:00Z","links":{"a":"UP"}}],` +
		`"stale":true,"not_probed":false}]}`,
	`{"devices":[{"name":"r\u0031","failure_text":"\u003cb\u003e \"q\" \\ \ud83d\ude00","links":{"a":{"error":"\n"}}}]}`,
	"{\"devices\":[{\"name\":\"r\xff1\",\"links\":{\"t\xff\":{\"target\":\"t\xff\"}}}]}",
	`{"devices":[{"name":null,"received":null,"links":null,"flaps":null,"stale":null,"failed_in_a_row":null}]}`,
	`{"devices":[{"links":{"a":{"rtt_avg_ms":null,"sent":null,"loss_percent":null,"since":null}}}]}`,
	`{"devices":[{"Name":"r1","SITE":"dc1","ſite":"dc2","Links":{"a":{"State":"UP","tarGet":"a"}}}]}`,
	`{"devices":[{"n\u0061me":"r1","links":{"\u0061":{"st\u0061te":"UP"}}}]}`,
	`{"devices":[{"name":"r1","name":"r2","links":{"a":{"state":"UP"}},"links":{"b":{"state":"DOWN"},"a":{"sent":1}}}]}`,
	`{"devices":[{"name":"r1"}],"devices":[{"name":"r2"},{"name":"r3"}]}`,
	`{"Devices":[{"name":"r1"}]}`, `{"devices":null}`, `{"next":"a","NEXT":"b","unknown":[1,{"x":2}]}`,
	`{"devices":[{"failed_in_a_row":1.5}]}`, `{"devices":[{"failed_in_a_row":1e2}]}`, `{"devices":[{"failed_in_a_row":-0}]}`,
	`{"devices":[{"failed_in_a_row":99999999999999999999}]}`, `{"devices":[{"links":{"a":{"loss_percent":1e400}}}]}`,
	`{"devices":[{"links":{"a":{"loss_percent":-0.0,"rtt_avg_ms":1E-3}}}]}`,
	`{"devices":[{"name":5}]}`, `{"devices":[{"received":"yesterday"}]}`, `{"devices":[{"received":5}]}`,
	`{"devices":[{"stale":"true"}]}`, `{"devices":[{"links":[1]}]}`, `{"devices":[{"links":{"a":5}}]}`,
	`{"devices":[5]}`, `{"devices":[null]}`, `{"devices":{}}`, `[]`, `{"devices":[{"name":"r1"}]} `, ` {"devices":[]}`,
	`{"devices":[{"name":"r1"}`, `{"devices":[{"name":"r1",}]}`, ``, `null`,
	`{"devices":[{"x":` + strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2) + `,"name":"deep"}]}`,
}

func TestDecodeReplyAsEncodingJSON(t *testing.T) {
	for _, in := range replySamples {
		decodesAsJSON(t, []byte(in))
	}
}

// FuzzDecodeReply: decodeReply and json.Unmarshal agree on any input.
func FuzzDecodeReply(f *testing.F) {
	for _, in := range replySamples {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { decodesAsJSON(t, in) })
}

// TestDecodeReplyReadsEveryField ties the readers to the JSON names of
// DeviceStatus and state.Link: a field added to either needs its reader.
func TestDecodeReplyReadsEveryField(t *testing.T) {
	for _, tc := range []struct {
		v       any
		readers map[string]fieldReader
	}{{DeviceStatus{}, deviceFields}, {state.Link{}, linkFields}} {
		names := jsonNames(reflect.TypeOf(tc.v))
		var read []string
		for name := range tc.readers {
			read = append(read, name)
		}
		slices.Sort(names)
		slices.Sort(read)
		if !slices.Equal(names, read) {
			t.Errorf("%T has JSON fields %v, readers for %v", tc.v, names, read)
		}
	}
}

// jsonNames are the JSON names of t's fields, its embedded structs' too.
func jsonNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			names = append(names, jsonNames(f.Type)...)
		case name != "" && name != "-":
			names = append(names, name)
		}
	}
	return names
}
