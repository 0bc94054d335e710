package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryLinksNoTestCode checks that no package the binary is built
// from imports package testing: test helpers live in packages of their
// own (localnatstest, smtptest, redistest, waittest) that only tests
// import.
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	if slices.Contains(strings.Fields(string(out)), "testing") {
		t.Error("the linkwatch binary links package testing: a production package imports a test helper (go list -deps ./cmd/linkwatch)")
	}
}
