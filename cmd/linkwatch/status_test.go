package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestStatusStateFlag checks that --state takes the states status shows
// in any case, and only those, before anything is dialled.
func TestStatusStateFlag(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.yaml")
	for _, tc := range []struct{ state, err string }{
		{"down", ""},
		{"UP", ""},
		{"Error", ""},
		{"", ""},
		{"UNKNOWN", ""},
		{"stale", ""},
		{"FLAPPING", ""},
		{"sideways", `--state "sideways": must be DOWN, DROP, ERROR, FLAPPING, STALE, UNKNOWN or UP`},
		{"unspecified", `--state "unspecified": must be DOWN, DROP, ERROR, FLAPPING, STALE, UNKNOWN or UP`},
		{"UNKNOWN_9", `--state "UNKNOWN_9": must be DOWN, DROP, ERROR, FLAPPING, STALE, UNKNOWN or UP`},
	} {
		_, _, err := validateExec(t, "status", "--state", tc.state, "--config", missing)
		switch {
		case err == nil:
			t.Errorf("--state %q: no error, want one from the missing config", tc.state)
		case tc.err == "" && strings.Contains(err.Error(), "--state"):
			t.Errorf("--state %q refused: %v", tc.state, err)
		case tc.err != "" && err.Error() != tc.err:
			t.Errorf("--state %q: error %q, want %q", tc.state, err, tc.err)
		}
	}
}
