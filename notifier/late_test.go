package notifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// TestNotifierLateResults publishes a device's results out of order, as
// JetStream redelivers them after a notifier died mid-commit while newer
// ones were applied by another: the UP the late results saw between two
// DOWNs is emailed (DOWN → UP, UP → DOWN) and in the history, once.
func TestNotifierLateResults(t *testing.T) {
	r := newRig(t, 0)
	subject, _ := proto.ResultSubject("dc1", "r1")
	var rs []*proto.ProbeResult
	for _, st := range []proto.LinkStatus{up, down, up, up, down} {
		rs = append(rs, r.result("r1", st, up))
	}
	for _, i := range []int{0, 1, 4, 2, 3, 2} { // the last one is a second redelivery
		r.publishTo(t, subject, rs[i])
	}
	want := []string{"UP → DOWN", "DOWN → UP", "UP → DOWN"}
	waitEmailed(t, r.smtp, want)
	r.publish(t, "r1", down, up) // one more result: nothing more is due
	r.waitApplied(t, "r1")
	waitOutboxEmpty(t, r.st)
	if got := emailed(r.smtp.Messages()); len(got) != len(want) {
		t.Errorf("emailed %q, want exactly %q", got, want)
	}
	history, err := r.st.History(context.Background(), "r1", "10.0.0.1", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 4 {
		t.Errorf("%d changes of r1/10.0.0.1 in the history, want 4 (first seen, down, up, down)", len(history))
	}
}
