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
	deps := binaryDeps(t)
	if slices.Contains(deps, "testing") {
		t.Error("the linkwatch binary links package testing: a production package imports a test helper (go list -deps ./cmd/linkwatch)")
	}
}

// TestBinaryLinksNoDeploymentModules checks that the Kubernetes, Helm and
// Compose modules, which only the deployment's tests use
// (internal/deploytest, compose_test.go), stay out of the binary.
func TestBinaryLinksNoDeploymentModules(t *testing.T) {
	for _, p := range binaryDeps(t) {
		for _, prefix := range []string{"k8s.io/", "sigs.k8s.io/", "helm.sh/", "github.com/prometheus-operator/", "github.com/compose-spec/", "github.com/linkwatch/linkwatch/cmd/linkwatch/internal/deploytest"} {
			if strings.HasPrefix(p, prefix) {
				t.Errorf("the linkwatch binary links %s: only tests may import it (go list -deps ./cmd/linkwatch)", p)
			}
		}
	}
}

// binaryDeps lists the packages the binary is built from.
func binaryDeps(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	return strings.Fields(string(out))
}
