package notifier_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// rejected is how many results the rig's notifiers rejected.
func (r *rig) rejected(t *testing.T) float64 {
	t.Helper()
	families, err := r.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "linkwatch_notifier_results_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == "rejected" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestNotifierRejectsForgedResults publishes what someone able to write on
// the results stream would forge, then genuine results: every forged one
// is rejected and counted, and only the genuine ones change state and send
// email.
func TestNotifierRejectsForgedResults(t *testing.T) {
	r := newRig(t, 0)
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	genuine := r.last["r1"]

	forge := func(device string, change func(*proto.ProbeResult)) *proto.ProbeResult {
		res := r.result(device, down)
		r.last[device] = genuine // a forged result must not be waited for
		if change != nil {
			change(res)
		}
		return res
	}
	subjectOf := func(site, device string) string {
		s, err := proto.ResultSubject(site, device)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	dc1r1 := subjectOf("dc1", "r1")
	forged := []struct {
		name    string
		subject string
		res     *proto.ProbeResult
		header  [][2]string
	}{
		{"scheduled in 2099", dc1r1, forge("r1", func(res *proto.ProbeResult) {
			res.ScheduledAt = timestamppb.New(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
			res.CheckedAt = res.ScheduledAt
		}), nil},
		{"checked two hours ahead", dc1r1, forge("r1", func(res *proto.ProbeResult) {
			res.CheckedAt = timestamppb.New(time.Now().Add(2 * time.Hour))
		}), nil},
		{"no scheduled time", dc1r1, forge("r1", func(res *proto.ProbeResult) { res.ScheduledAt = nil }), nil},
		{"device outside the inventory", subjectOf("dc1", "evil"), forge("evil", nil), nil},
		{"another site's device, on that site's subject", subjectOf("dc2", "r1"), forge("r1", func(res *proto.ProbeResult) {
			res.Site = "dc2"
		}), nil},
		{"another site claimed on the device's own subject", dc1r1, forge("r1", func(res *proto.ProbeResult) {
			res.Site = "dc2"
		}), nil},
		{"on another device's subject", subjectOf("dc1", "r2"), forge("r1", nil), nil},
		{"a link the device does not have", dc1r1, forge("r1", func(res *proto.ProbeResult) {
			res.Links[0].Target.Address = "203.0.113.66"
		}), nil},
		{"reached, but no link", dc1r1, forge("r1", func(res *proto.ProbeResult) { res.Links = nil }), nil},
		// (A Nats-Stream-Source header cannot be published: the server
		// refuses it; only a stream source adds it, and admit checks it.)
		{"republished from the jobs stream", dc1r1, forge("r1", nil), [][2]string{{"Nats-Stream", proto.StreamJobs}}},
	}
	for _, f := range forged {
		r.publishTo(t, f.subject, f.res, f.header...)
	}
	waittest.For(t, 10*time.Second, func() error {
		if got := r.rejected(t); got != float64(len(forged)) {
			return fmt.Errorf("%v results rejected, want %d", got, len(forged))
		}
		return nil
	})
	// Genuine results after them: the link is still UP and quiet, then a
	// real outage is alerted, once.
	r.publish(t, "r1", up)
	r.waitApplied(t, "r1")
	devs, err := r.st.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].Name != "r1" || len(devs[0].Links) != 1 || devs[0].Links["10.0.0.1"].State != "UP" {
		t.Fatalf("stored devices after forged results: %+v, want r1 with 10.0.0.1 UP only", devs)
	}
	r.publish(t, "r1", down)
	r.smtp.WaitFor(t, 1, 10*time.Second)
	waitOutboxEmpty(t, r.st)
	if msgs := r.smtp.Messages(); len(msgs) != 1 || countChanges(msgs) != 1 {
		t.Errorf("%d emails with %d changes, want the one real outage", len(msgs), countChanges(msgs))
	}
}
