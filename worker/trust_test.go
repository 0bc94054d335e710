package worker_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	pb "google.golang.org/protobuf/proto"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// recorder is a TCP listener on loopback that counts the connections it
// is offered: a stand-in for an attacker's SSH server that would record
// the password a worker logs in with.
type recorder struct {
	ln    net.Listener
	conns atomic.Int64
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.conns.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return r
}

func (r *recorder) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// withLegacyFields appends the fields a job used to carry (host 5, port 6,
// platform 7, credentials 8) to an encoded job, as a forger who knows the
// old contract would.
func withLegacyFields(t *testing.T, job *proto.ProbeJob, port int) []byte {
	t.Helper()
	data, err := pb.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	data = protowire.AppendTag(data, 5, protowire.BytesType)
	data = protowire.AppendString(data, "127.0.0.1")
	data = protowire.AppendTag(data, 6, protowire.VarintType)
	data = protowire.AppendVarint(data, uint64(port))
	data = protowire.AppendTag(data, 7, protowire.BytesType)
	data = protowire.AppendString(data, "cisco_iosxe")
	data = protowire.AppendTag(data, 8, protowire.BytesType)
	data = protowire.AppendString(data, "lab")
	return data
}

func TestServiceObeysOnlyItsInventory(t *testing.T) {
	r := newServiceRig(t)
	rec := newRecorder(t)
	fresh := time.Now().Add(time.Minute)

	// A device that is not in the inventory, pointed at the recorder.
	evil := r.job("evil@1", "evil", fresh)
	r.publishRaw(t, "dc1", evil.GetId(), withLegacyFields(t, evil, rec.port()))
	// A device of the inventory, with a job of another site published on
	// this site's subject.
	foreign := r.job("r1@1", "r1", fresh)
	foreign.Site = "dc2"
	data, err := pb.Marshal(foreign)
	if err != nil {
		t.Fatal(err)
	}
	r.publishRaw(t, "dc1", foreign.GetId(), data)
	// Names that could never be a device.
	for i, name := range []string{"r1\nconfigure terminal", "../r1", ""} {
		j := r.job("bad@"+string(rune('a'+i)), name, fresh)
		r.publish(t, j)
	}
	// A device of the inventory whose target fails the worker's own check.
	r.publish(t, r.job("r8@1", "r8", fresh))
	waittest.For(t, 20*time.Second, counted("jobs refused", r.svc.Refused, 6))
	waittest.For(t, 20*time.Second, r.drained(t, 0))

	// A job for r1 that also names the recorder as host: the worker dials
	// r1 as its inventory says, and the recorder sees nothing.
	hijack := r.job("r1@2", "r1", fresh)
	r.publishRaw(t, "dc1", hijack.GetId(), withLegacyFields(t, hijack, rec.port()))
	if res := r.result(t, "r1@2"); res.GetFailure() != proto.FailureKind_FAILURE_KIND_UNSPECIFIED {
		t.Fatalf("r1 from the inventory: failure %v (%s)", res.GetFailure(), res.GetFailureText())
	}
	if n := rec.conns.Load(); n != 0 {
		t.Errorf("the recording server saw %d connections, want 0", n)
	}
	if r.svc.Probed() > 1 || r.svc.Refused() != 6 {
		t.Errorf("probed %d, refused %d; want 1 and 6", r.svc.Probed(), r.svc.Refused())
	}
	stream, err := r.js.Stream(t.Context(), proto.StreamResults)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetLastMsgForSubject(t.Context(), "linkwatch.results.dc1.evil"); err == nil {
		t.Error("a result was published for the device outside the inventory")
	}
}

func TestServiceReportsInventoryRevisionMismatch(t *testing.T) {
	r := newServiceRig(t)
	old := r.job("r1@1", "r1", time.Now().Add(time.Minute))
	old.InventoryRevision = "rev-0"
	r.publish(t, old)
	if res := r.result(t, "r1@1"); len(res.GetLinks()) != 2 {
		t.Fatalf("a job of another revision is probed from the worker's inventory: got %d links, want 2", len(res.GetLinks()))
	}
	sched, own, ok := r.svc.RevisionMismatch()
	if !ok || sched != "rev-0" || own != "rev-1" {
		t.Errorf("RevisionMismatch() = %q, %q, %v; want rev-0, rev-1, true", sched, own, ok)
	}
	r.publish(t, r.job("r1@2", "r1", time.Now().Add(time.Minute)))
	r.result(t, "r1@2")
	if _, _, ok := r.svc.RevisionMismatch(); ok {
		t.Error("RevisionMismatch still reported after a job of the same revision")
	}
}
