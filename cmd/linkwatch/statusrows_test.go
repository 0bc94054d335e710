package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// TestStatusRows checks the rows status makes of a reply: a stale device's
// links STALE with their last state, a never-reached device and one not
// probed yet UNKNOWN with why, and --state filtering on every one of them.
func TestStatusRows(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	link := func(target, st string) state.Link {
		return state.Link{Target: target, State: st, Since: t0, LastChecked: t0, Sent: 5}
	}
	rep := api.StatusReply{
		Devices: []api.DeviceStatus{
			{Device: state.Device{Name: "r1", Site: "dc1", Received: t0, Links: map[string]state.Link{
				"10.0.0.1": link("10.0.0.1", "UP"), "10.0.0.2": link("10.0.0.2", "DOWN")}}},
			{Device: state.Device{Name: "r2", Site: "dc2", Received: t0, Links: map[string]state.Link{
				"10.0.0.1": link("10.0.0.1", "UP")}}, Stale: true},
			{Device: state.Device{Name: "r3", Site: "dc1", Failure: "AUTH_FAILED", FailureText: "permission denied",
				FailureSince: t0}},
			{Device: state.Device{Name: "r4", Site: "dc1"}, NotProbed: true},
		},
		Sites: []state.Site{{Name: "dc2", Blind: true}},
	}
	rows := statusRows(rep, "", "", "")
	var got []string
	for _, r := range rows {
		got = append(got, r.Device+" "+r.Target+" "+r.State+" "+r.LastState+" "+r.DeviceFailure+" | "+noteText(r))
	}
	want := []string{
		"r1 10.0.0.1 UP   | ",
		"r1 10.0.0.2 DOWN   | ",
		"r2 10.0.0.1 STALE UP  | last UP; site without results; last result 2026-11-23T10:00:00Z",
		"r3  UNKNOWN  AUTH_FAILED | never reached: AUTH_FAILED permission denied",
		"r4  UNKNOWN   | not probed yet",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for st, n := range map[string]int{"UNKNOWN": 2, "STALE": 1, "UP": 1, "DOWN": 1, "FLAPPING": 0} {
		if got := len(statusRows(rep, "", "", st)); got != n {
			t.Errorf("--state %s: %d rows, want %d", st, got, n)
		}
	}
	if got := len(statusRows(rep, "dc1", "", "UNKNOWN")); got != 2 {
		t.Errorf("--site dc1 --state UNKNOWN: %d rows, want 2", got)
	}
	data, err := json.Marshal(rows[2])
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"state":"STALE"`, `"last_state":"UP"`, `"target":"10.0.0.1"`, `"note":"site without results"`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("JSON row %s lacks %s", data, field)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"", time.Time{}, false},
		{"1h", now.Add(-time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"7d", now.Add(-7 * 24 * time.Hour), false},
		{"1d12h", now.Add(-36 * time.Hour), false},
		{"2026-11-20T08:00:00Z", time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"d", time.Time{}, true},
		{"1.5d", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	} {
		got, err := parseSince(tc.in, now)
		if (err != nil) != tc.err || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v (error: %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
