package main

import (
	"bytes"
	"math"
	"testing"
)

// TestWriteStatusJSONAsEncodingJSON: the rows writeStatusJSON writes are
// writeJSONLines' byte for byte, for plain rows, rows whose strings JSON
// escapes, and numbers of every form; a row it cannot write fails as
// encoding/json fails.
func TestWriteStatusJSONAsEncodingJSON(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	full := statusRow{Device: "r1", Site: "dc1", Target: "10.0.0.1", VRF: "mgmt", State: "STALE", Since: "2026-11-23T10:00:00Z",
		LastChecked: "2026-11-23T10:01:00Z", Sent: 5, Received: 4, LossPercent: 20, RTTAvgMs: f(1.25), Error: "e",
		DeviceFailure: "TIMEOUT", LastState: "UP", LastResult: "2026-11-23T10:01:00Z", Note: "no recent result"}
	var rows []statusRow
	rows = append(rows, full, statusRow{}, statusRow{Device: "r2", State: "UNKNOWN", Note: "not probed yet"})
	for _, s := range []string{`a "quote"`, `back\slash`, "<b>&amp;", "tab\there", "new\nline", "é", "\xff", "\u2028", "~\x7f"} {
		r := full
		r.Error, r.Note = s, s
		rows = append(rows, r)
		r = full
		r.Device = s
		rows = append(rows, r)
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 100, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 1e20, 1e21, 1.234e22,
		-1e-9, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, 33.333333333333336} {
		r := full
		r.LossPercent, r.RTTAvgMs, r.Sent = v, f(v), -int(v)
		rows = append(rows, r)
	}
	var got, want bytes.Buffer
	if err := writeStatusJSON(&got, rows); err != nil {
		t.Fatal(err)
	}
	if err := writeJSONLines(&want, rows, "status"); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("writeStatusJSON:\n%s\nencoding/json:\n%s", got.String(), want.String())
	}
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		bad := []statusRow{full, full}
		bad[1].LossPercent = v
		got.Reset()
		want.Reset()
		gerr, werr := writeStatusJSON(&got, bad), writeJSONLines(&want, bad, "status")
		if gerr == nil || werr == nil || gerr.Error() != werr.Error() || got.String() != want.String() {
			t.Errorf("loss %v: wrote %q, %v; encoding/json %q, %v", v, got.String(), gerr, want.String(), werr)
		}
	}
}
