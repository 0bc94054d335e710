package worker

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// failureKinds are the failure kinds the worker reports (result.go).
var failureKinds = []FailureKind{
	FailureTimeout, FailureRefused, FailureAuth, FailureHostKeyMismatch, FailureCLI, FailureUnreachable, FailureInternal,
	FailureSSHNegotiation,
}

// TestFailureKindsCrossTheWire checks that every failure kind the worker
// can report reaches the notifier as itself: ResultProto carries it, it
// survives the wire, and it is a named, non-UNSPECIFIED value (UNSPECIFIED
// reads as "reached"). The worker's kinds and the .proto's must be the same
// set, and the same goes for link statuses.
func TestFailureKindsCrossTheWire(t *testing.T) {
	if declared := failureConstants(t); declared != len(failureKinds) {
		t.Errorf("result.go declares %d failure kinds, this test lists %d", declared, len(failureKinds))
	}
	if want := len(proto.FailureKind_name) - 1; len(failureKinds) != want {
		t.Errorf("the worker has %d failure kinds, linkwatch.proto %d", len(failureKinds), want)
	}
	for _, k := range failureKinds {
		got := overTheWire(t, DeviceResult{Device: "r1", Site: "dc1", Failure: k, FailureText: "failed"})
		if got.GetFailure() != k || !k.Known() || k.Short() == "" {
			t.Errorf("%v: on the wire %v, known %v, short %q", k, got.GetFailure(), k.Known(), k.Short())
		}
	}
	if got := overTheWire(t, DeviceResult{Device: "r1", Site: "dc1"}); got.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		t.Errorf("a reached device is %v on the wire", got.GetFailure())
	}

	statuses := []ping.Status{ping.StatusUp, ping.StatusDown, ping.StatusDrop, ping.StatusError}
	if want := len(proto.LinkStatus_name) - 1; len(statuses) != want {
		t.Errorf("package ping has %d link statuses, linkwatch.proto %d", len(statuses), want)
	}
	for _, s := range statuses {
		got := overTheWire(t, DeviceResult{Device: "r1", Site: "dc1", Links: []LinkResult{
			{Params: ping.Params{Target: "10.0.0.1"}, Result: ping.Result{Status: s}}}})
		if len(got.GetLinks()) != 1 || got.GetLinks()[0].GetStatus() != s || !s.Known() ||
			got.GetLinks()[0].GetTarget().GetAddress() != "10.0.0.1" {
			t.Errorf("%v: on the wire %v", s, got.GetLinks())
		}
	}
}

// overTheWire converts r with ResultProto, encodes and decodes it.
func overTheWire(t *testing.T, r DeviceResult) *proto.ProbeResult {
	t.Helper()
	data, err := pb.Marshal(ResultProto(&proto.ProbeJob{Id: "r1@1", Device: r.Device, Site: r.Site}, "w1", r))
	if err != nil {
		t.Fatal(err)
	}
	var got proto.ProbeResult
	if err := pb.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	return &got
}

// failureConstants counts the Failure* constants result.go declares, but
// FailureNone.
func failureConstants(t *testing.T) int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "result.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, s := range g.Specs {
				for _, name := range s.(*ast.ValueSpec).Names {
					if strings.HasPrefix(name.Name, "Failure") && name.Name != "FailureNone" {
						n++
					}
				}
			}
		}
	}
	return n
}
