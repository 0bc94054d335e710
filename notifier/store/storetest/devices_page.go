package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// testDevicesAfter checks that DevicesAfter pages through Devices: the
// names after the cursor (a stored name or not), in order, at most n.
func testDevicesAfter(t *testing.T, s state.Store) {
	page := func(after string, n int) []string {
		t.Helper()
		devs, err := s.DevicesAfter(t.Context(), after, n)
		if err != nil {
			t.Fatalf("DevicesAfter(%q, %d): %v", after, n, err)
		}
		names := []string{}
		for _, d := range devs {
			names = append(names, d.Name)
		}
		return names
	}
	expect(t, "empty store", page("", 10), []string{})
	for _, name := range []string{"r3", "r10", "core-b", "r1", "core-a"} {
		put(t, s, name, state.Update{Device: state.Device{Site: "dc1"}})
	}
	for _, tc := range []struct {
		after string
		n     int
		want  []string
	}{
		{"", 0, []string{"core-a", "core-b", "r1", "r10", "r3"}},
		{"", 2, []string{"core-a", "core-b"}},
		{"core-b", 2, []string{"r1", "r10"}},
		{"core-c", 2, []string{"r1", "r10"}}, // a name not stored
		{"r10", 5, []string{"r3"}},
		{"r3", 5, []string{}},
		{"zzz", 0, []string{}},
	} {
		expect(t, fmt.Sprintf("DevicesAfter(%q, %d)", tc.after, tc.n), page(tc.after, tc.n), tc.want)
	}
	all := devices(t, s)
	got, err := s.DevicesAfter(t.Context(), "core-a", 1)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "a page's records", got, all[1:2])
	testRawDevicesAfter(t, s, all)
}

// testRawDevicesAfter checks that RawDevicesAfter is DevicesAfter not
// decoded: the same names, each with its record's JSON, a copy of the
// caller's own.
func testRawDevicesAfter(t *testing.T, s state.Store, all []state.Device) {
	raw, err := s.RawDevicesAfter(t.Context(), "core-a", 3)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var devs []state.Device
	for _, r := range raw {
		var d state.Device
		if err := json.Unmarshal(r.JSON, &d); err != nil {
			t.Fatalf("record of %s: %v", r.Name, err)
		}
		names, devs = append(names, r.Name), append(devs, d)
		clear(r.JSON) // the caller's copy: the store's stays whole
	}
	expect(t, "RawDevicesAfter(core-a, 3) names", names, []string{"core-b", "r1", "r10"})
	expect(t, "RawDevicesAfter(core-a, 3) records", devs, all[1:4])
	expect(t, "the records after the raw ones were cleared", devices(t, s), all)
}
