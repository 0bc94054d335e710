package state

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	sun := []time.Weekday{time.Sunday}
	// Sundays 02:00 for 2h in Paris; 2026 changes to summer time on Sunday
	// 29 March (02:00 CET becomes 03:00 CEST) and back on Sunday 25
	// October (03:00 CEST becomes 02:00 CET).
	w := Window{Name: "sunday", Sites: []string{"dc1"}, Days: sun, Start: 2 * time.Hour, Duration: 2 * time.Hour, Location: paris}
	late := w
	late.Start = 2*time.Hour + 30*time.Minute
	night := Window{Name: "night", Devices: []string{"r1"}, Days: []time.Weekday{time.Saturday}, Start: 23 * time.Hour,
		Duration: 3 * time.Hour, Location: paris}
	tests := []struct {
		name   string
		w      Window
		at     string
		active bool
		start  string // of the occurrence in force
	}{
		{"winter: in", w, "2026-01-04T01:30:00Z", true, "2026-01-04T01:00:00Z"},
		{"winter: at the start", w, "2026-01-04T01:00:00Z", true, "2026-01-04T01:00:00Z"},
		{"winter: just before", w, "2026-01-04T00:59:59Z", false, ""},
		{"winter: at the end", w, "2026-01-04T03:00:00Z", false, ""},
		{"summer: in", w, "2026-07-05T00:30:00Z", true, "2026-07-05T00:00:00Z"},
		{"summer: 02:00 UTC is 04:00 local, the end", w, "2026-07-05T02:00:00Z", false, ""},
		{"a Saturday", w, "2026-07-04T00:30:00Z", false, ""},
		// Spring forward: 02:00 does not exist; it starts at 03:00 CEST
		// (01:00 UTC, the instant 02:00 CET would be) and lasts 2h.
		{"spring: 02:00 skipped, starts at 01:00 UTC", w, "2026-03-29T01:00:00Z", true, "2026-03-29T01:00:00Z"},
		{"spring: before", w, "2026-03-29T00:59:59Z", false, ""},
		{"spring: still in at 04:30 CEST", w, "2026-03-29T02:30:00Z", true, "2026-03-29T01:00:00Z"},
		{"spring: over after 2h", w, "2026-03-29T03:00:00Z", false, ""},
		{"spring: 02:30 skipped, starts at 03:30 CEST", late, "2026-03-29T01:30:00Z", true, "2026-03-29T01:30:00Z"},
		{"spring: 02:30 skipped, not before", late, "2026-03-29T01:29:00Z", false, ""},
		// Fall back: 02:00 happens twice; the window starts at the first
		// (00:00 UTC, CEST) and lasts 2h of elapsed time.
		{"autumn: first 02:00", w, "2026-10-25T00:00:00Z", true, "2026-10-25T00:00:00Z"},
		{"autumn: second 02:00 is inside", w, "2026-10-25T01:00:00Z", true, "2026-10-25T00:00:00Z"},
		{"autumn: over after 2h elapsed", w, "2026-10-25T02:00:00Z", false, ""},
		{"across midnight: Sunday morning", night, "2026-01-04T00:30:00Z", true, "2026-01-03T22:00:00Z"},
		{"across midnight: over", night, "2026-01-04T01:00:00Z", false, ""},
	}
	for _, tc := range tests {
		got := tc.w.At(at(tc.at))
		if !tc.active {
			if got != nil {
				t.Errorf("%s: at %s: %+v, want no occurrence", tc.name, tc.at, got)
			}
			continue
		}
		if len(got) != 1 || !got[0].Start.Equal(at(tc.start)) || !got[0].End.Equal(at(tc.start).Add(tc.w.Duration)) {
			t.Errorf("%s: at %s: %+v, want one occurrence from %s for %s", tc.name, tc.at, got, tc.start, tc.w.Duration)
			continue
		}
		if s := got[0]; s.Window != tc.w.Name || s.ID != "window:"+tc.w.Name {
			t.Errorf("%s: silence %+v does not name its window", tc.name, s)
		}
	}
}

func TestWindowEndedAndNext(t *testing.T) {
	w := Window{Name: "w", Sites: []string{"dc1", "dc2"}, Devices: []string{"r9"},
		Days: []time.Weekday{time.Sunday, time.Wednesday}, Start: 2 * time.Hour, Duration: time.Hour, Location: time.UTC}
	sun := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC) // a Sunday
	ended := w.Ended(sun, sun.Add(3*time.Hour))
	if len(ended) != 3 || !ended[0].End.Equal(sun.Add(3*time.Hour)) || ended[0].Site != "dc1" || ended[2].Device != "r9" {
		t.Errorf("Ended over Sunday's window = %+v, want its three silences ending at 03:00", ended)
	}
	if got := w.Ended(sun, sun.Add(3*time.Hour-time.Nanosecond)); got != nil {
		t.Errorf("Ended before the end = %+v", got)
	}
	if got := w.Ended(sun.Add(3*time.Hour), sun.Add(4*time.Hour)); got != nil {
		t.Errorf("Ended after an end already seen = %+v (from is exclusive)", got)
	}
	for _, tc := range []struct{ after, want time.Time }{
		{sun, sun.Add(2 * time.Hour)},
		{sun.Add(2 * time.Hour), sun.Add(3 * time.Hour)},
		{sun.Add(3 * time.Hour), sun.Add(3*24*time.Hour + 2*time.Hour)}, // Wednesday
	} {
		if got := w.Next(tc.after); !got.Equal(tc.want) {
			t.Errorf("Next(%s) = %s, want %s", tc.after, got, tc.want)
		}
	}
	if got := (Window{}).Next(sun); !got.IsZero() {
		t.Errorf("Next of a window without days = %s, want zero", got)
	}
}
