package main

import (
	"path/filepath"
	"testing"
	"time"
)

func TestParseUntil(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC) // 23:30 in Paris, the night clocks go forward
	tests := []struct {
		in, want string
	}{
		{"2026-03-29T06:00:00+02:00", "2026-03-29T04:00:00Z"},
		{"2026-03-29T04:00:00Z", "2026-03-29T04:00:00Z"},
		{"2026-03-29 06:00", "2026-03-29T04:00:00Z"}, // summer time already
		{"2026-03-28 23:45", "2026-03-28T22:45:00Z"},
		{"23:45", "2026-03-28T22:45:00Z"}, // later today
		{"06:00", "2026-03-29T04:00:00Z"}, // tomorrow, after the change
		{"23:30", "2026-03-29T21:30:00Z"}, // now is not later: tomorrow
	}
	for _, tc := range tests {
		got, err := parseUntil(tc.in, now, paris)
		if err != nil {
			t.Errorf("parseUntil(%q): %v", tc.in, err)
			continue
		}
		if want, _ := time.Parse(time.RFC3339, tc.want); !got.Equal(want) {
			t.Errorf("parseUntil(%q) = %s, want %s", tc.in, got.UTC().Format(time.RFC3339), tc.want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "6am", "2026-03-29", "25:00", "2026-03-29T06:00"} {
		if _, err := parseUntil(bad, now, paris); err == nil {
			t.Errorf("parseUntil(%q) accepted", bad)
		}
	}
}

func TestParseFor(t *testing.T) {
	for in, want := range map[string]time.Duration{"90m": 90 * time.Minute, "2h": 2 * time.Hour, "3d": 72 * time.Hour, "1h30m": 90 * time.Minute, "1d12h": 36 * time.Hour} {
		if got, err := parseFor(in); err != nil || got != want {
			t.Errorf("parseFor(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0s", "0d", "-1h", "2 hours", "1e9d", "-3d", "1.5d", "d"} {
		if d, err := parseFor(bad); err == nil {
			t.Errorf("parseFor(%q) = %s, want an error", bad, d)
		}
	}
}

// TestSilenceAddFlags checks the flags that are refused before anything
// is dialled.
func TestSilenceAddFlags(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--for", "2h", "--comment", "x"}, "give --device or --site (or both)"},
		{[]string{"--site", "dc1", "--target", "10.0.0.1", "--for", "2h", "--comment", "x"}, "--target needs --device"},
		{[]string{"--device", "r1", "--vrf", "MGMT", "--for", "2h", "--comment", "x"}, "--vrf is the VRF of --target: give --target"},
		{[]string{"--device", "r1", "--comment", "x"}, "give one of --for and --until"},
		{[]string{"--device", "r1", "--for", "2h", "--until", "06:00", "--comment", "x"}, "give one of --for and --until"},
		{[]string{"--device", "r1", "--for", "2h"}, "--comment is required: say why, for the next shift"},
		{[]string{"--device", "r1", "--for", "2h", "--comment", "  "}, "--comment is required: say why, for the next shift"},
		{[]string{"--device", "r1", "--for", "-2h", "--comment", "x"}, `--for "-2h": must be positive`},
		{[]string{"--device", "r1", "--for", "soon", "--comment", "x"}, `--for "soon": want a duration (90m, 2h, 3d)`},
	} {
		_, _, err := validateExec(t, append([]string{"silence", "add", "--config", missing}, tc.args...)...)
		if err == nil || err.Error() != tc.err {
			t.Errorf("silence add %v: %v, want %q", tc.args, err, tc.err)
		}
	}
}
