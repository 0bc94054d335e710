package notifier_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
)

// TestNotifierRejectsForgedResults publishes what someone able to write on
// the results stream would forge, then one genuine change: only the
// genuine one changes state and sends email.
func TestNotifierRejectsForgedResults(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	genuine := r.last["r1"]

	forge := func(device string, statuses ...proto.LinkStatus) *proto.ProbeResult {
		res := r.result(device, statuses...)
		r.last[device] = genuine // a forged result must not be waited for
		return res
	}
	subjectOf := func(site, device string) string {
		s, err := proto.ResultSubject(site, device)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	future := forge("r1", down)
	future.ScheduledAt = timestamppb.New(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	future.CheckedAt = future.ScheduledAt
	checkedAhead := forge("r1", down)
	checkedAhead.CheckedAt = timestamppb.New(time.Now().Add(2 * time.Hour))
	unscheduled := forge("r1", down)
	unscheduled.ScheduledAt = nil
	otherSite := forge("r1", down)
	otherSite.Site = "dc2"
	forged := []struct {
		name    string
		subject string
		res     *proto.ProbeResult
	}{
		{"scheduled in 2099", subjectOf("dc1", "r1"), future},
		{"checked two hours ahead", subjectOf("dc1", "r1"), checkedAhead},
		{"no scheduled time", subjectOf("dc1", "r1"), unscheduled},
		{"device outside the inventory", subjectOf("dc1", "evil"), forge("evil", down)},
		{"another site's device", subjectOf("dc2", "r1"), otherSite},
		{"on another device's subject", subjectOf("dc1", "r2"), forge("r1", down)},
	}
	for _, f := range forged {
		r.publishTo(t, f.subject, f.res)
	}
	// Results are handled in stream order: once this genuine one is
	// applied, every forged one before it has been handled.
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	devs, err := r.st.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Name != "r1" {
			t.Errorf("a forged result created device %q", d.Name)
			continue
		}
		if st := d.Links["10.0.0.1"].State; st != "UP" {
			t.Errorf("r1 link state %s after forged results, want UP", st)
		}
	}
	if n := len(r.smtp.Messages()); n != 0 {
		t.Fatalf("%d emails after forged results, want none", n)
	}
	// A real outage after the forged 2099 result is still alerted.
	r.publish(t, "r1", down)
	msgs := r.smtp.WaitFor(t, 1, 10*time.Second)
	if n := countChanges(msgs); n != 1 {
		t.Errorf("%d changes emailed for the real outage, want 1", n)
	}
}
