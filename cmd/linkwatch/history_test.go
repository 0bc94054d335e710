package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// TestHistoryFirstSeen checks that a first-seen change (no previous
// state, so no time it was entered) shows no zero time in JSON.
func TestHistoryFirstSeen(t *testing.T) {
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	changes := []state.Change{
		{Device: "r1", Site: "dc1", Target: "10.0.0.1", To: "UP", At: at, Sent: 5, Received: 5},
		{Device: "r1", Site: "dc1", Target: "10.0.0.1", From: "UP", To: "DOWN", At: at.Add(time.Minute), PrevSince: at, Sent: 5},
	}
	var out bytes.Buffer
	if err := writeJSONLines(&out, changes, "history"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if strings.Contains(out.String(), "0001-01-01") || strings.Contains(lines[0], "prev_since") {
		t.Errorf("first-seen change with a zero time:\n%s", out.String())
	}
	if !strings.Contains(lines[1], `"prev_since":"2026-11-29T10:00:00Z"`) {
		t.Errorf("change lacks its prev_since: %s", lines[1])
	}
}
