package notifier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// emailed lists the link changes across emails, "FROM → TO" each, in the
// order they were sent.
func emailed(msgs []smtptest.Message) []string {
	var out []string
	for _, m := range msgs {
		for _, line := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
			if _, change, ok := strings.Cut(line, ": "); ok && strings.Contains(change, " → ") && strings.HasPrefix(line, "dc1 / ") {
				out = append(out, change)
			}
		}
	}
	return out
}

// TestNotifierFlapping runs a flapping link through a notifier with a real
// store, NATS and SMTP server: every change before the rule trips is
// emailed, then one email says it flaps, the changes while it flaps are
// in the history only, and one email gives its state once it has been
// quiet for the quiet period.
func TestNotifierFlapping(t *testing.T) {
	r := newFlapRig(t, state.Flap{Changes: 3, Window: 10 * time.Minute, Quiet: 5 * time.Minute})
	const down = proto.LinkStatus_LINK_STATUS_DOWN
	send := func(statuses ...proto.LinkStatus) {
		t.Helper()
		r.publish(t, "r1", statuses...)
		r.waitApplied(t, "r1")
	}
	send(up, up)
	for i := range 8 { // 8 changes a minute apart: DOWN, UP, DOWN, …
		if i%2 == 0 {
			send(down, up)
		} else {
			send(up, up)
		}
	}
	want := []string{"UP → DOWN", "DOWN → UP", "UP → DOWN", "DOWN → FLAPPING"}
	waitEmailed(t, r.smtp, want)
	for range 6 { // quiet: 5 minutes after the last change it is UP again
		send(up, up)
	}
	want = append(want, "FLAPPING → UP")
	waitEmailed(t, r.smtp, want)
	waitOutboxEmpty(t, r.st)
	if got := emailed(r.smtp.Messages()); len(got) != len(want) {
		t.Errorf("emailed %q, want exactly %q", got, want)
	}
	history, err := r.st.History(context.Background(), "r1", "10.0.0.1", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 1+8 {
		t.Errorf("%d changes of r1/10.0.0.1 in the history, want 9 (first seen and every flip)", len(history))
	}
}

func waitEmailed(t *testing.T, srv *smtptest.Server, want []string) {
	t.Helper()
	waittest.For(t, 20*time.Second, func() error {
		if got := emailed(srv.Messages()); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("emailed %q, want %q", got, want)
		}
		return nil
	})
}
