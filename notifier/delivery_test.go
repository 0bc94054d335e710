package notifier_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestNotifierResendsWithTheSameMessageID: an email the server accepted
// but whose alerts could not be removed from the outbox before the
// notifier stopped (as if it died) is sent again by the next notifier with
// the same alerts and the same Message-ID, though another alert joined the
// outbox meanwhile; that one goes in an email of its own.
func TestNotifierResendsWithTheSameMessageID(t *testing.T) {
	flaky := &ackFails{}
	r := newRigOf(t, rigOptions{wrap: func(st state.Store) state.Store { flaky.Store = st; return flaky }})
	stop := r.startNotifier(t)
	r.publish(t, "r1", up, up)
	r.publish(t, "r2", up)
	r.waitApplied(t, "r1")
	r.waitApplied(t, "r2")
	flaky.left.Store(1 << 30) // every removal fails until the "crash"
	r.publish(t, "r1", down, down)
	first := r.smtp.WaitFor(t, 1, 10*time.Second)[0]
	stop()

	// Another alert joins the outbox while no notifier runs.
	if err := notifier.New(nil, nil, r.st, nil, notifier.Config{}).Apply(t.Context(), r.result("r2", down)); err != nil {
		t.Fatal(err)
	}
	flaky.left.Store(0)
	r.startNotifier(t)
	msgs := r.smtp.WaitFor(t, 3, 20*time.Second)
	waitOutboxEmpty(t, r.st)
	again, other := msgs[1], msgs[2]
	id := first.Header.Get("Message-ID")
	if !strings.HasPrefix(id, "<linkwatch.") || !strings.HasSuffix(id, "@example.net>") {
		t.Errorf("Message-ID %q, want <linkwatch.HASH@example.net>", id)
	}
	if got := again.Header.Get("Message-ID"); got != id {
		t.Errorf("the email sent again has Message-ID %q, want the first one's %q", got, id)
	}
	if again.Text != first.Text || again.Header.Get("X-Linkwatch-Alerts") != "2" {
		t.Errorf("the email sent again differs (%s alerts):\n%s\nfirst:\n%s", again.Header.Get("X-Linkwatch-Alerts"), again.Text, first.Text)
	}
	if other.Header.Get("Message-ID") == id || !strings.Contains(other.Text, "/ r2 /") || strings.Contains(other.Text, "/ r1 /") {
		t.Errorf("the later alert's email (Message-ID %s):\n%s", other.Header.Get("Message-ID"), other.Text)
	}
	if n := len(r.smtp.Messages()); n != 3 {
		t.Errorf("%d emails, want 3", n)
	}
}

// TestStandbyCommitWakesTheLeader: two notifiers on one Redis; an alert
// committed by the one that does not hold the mailer lease is emailed by
// the other at once. The idle poll is a minute, so only the wake over the
// bus can explain an email within seconds.
func TestStandbyCommitWakesTheLeader(t *testing.T) {
	r := newRigOf(t, rigOptions{redis: true, idlePoll: time.Minute})
	r.startReplica(t, t.TempDir())
	leader := waitLeaseHolder(t, r, "")
	standby, _ := r.startReplica(t, t.TempDir())
	r.clock = time.Now().UTC()
	if err := standby.Apply(t.Context(), r.result("r1", up, down)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	msgs := r.smtp.WaitFor(t, 1, 30*time.Second)
	took := time.Since(start)
	t.Logf("alert committed by the standby emailed after %v", took)
	if took > 20*time.Second {
		t.Errorf("emailed after %v: the leader's mailer was not woken", took)
	}
	if !strings.Contains(msgs[0].Text, "10.0.0.2") {
		t.Errorf("email:\n%s", msgs[0].Text)
	}
	if holder := waitLeaseHolder(t, r, ""); holder != leader {
		t.Errorf("lease held by %s, want %s still", holder, leader)
	}
}

// TestRestartedLeaderTakesItsLeaseBack: a leader killed while it holds the
// mailer lease leaves the lease behind; started again with the same data
// directory it takes the lease back at once and emails, while a standby
// would have had to wait for the lease to expire (15s).
func TestRestartedLeaderTakesItsLeaseBack(t *testing.T) {
	r := newRigOf(t, rigOptions{redis: true, idlePoll: time.Minute})
	dir := t.TempDir()
	_, stop := r.startReplica(t, dir)
	leader := waitLeaseHolder(t, r, "")
	stop() // a clean stop releases the lease: put it back as a killed leader leaves it
	kv, err := r.js.KeyValue(t.Context(), proto.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(t.Context(), proto.MailerLease, []byte(leader)); err != nil {
		t.Fatalf("leave the killed leader's lease: %v", err)
	}
	killed := time.Now()
	standby, _ := r.startReplica(t, t.TempDir()) // cannot take the lease before it expires
	r.startReplica(t, dir)
	r.clock = time.Now().UTC()
	if err := standby.Apply(t.Context(), r.result("r1", down)); err != nil {
		t.Fatal(err)
	}
	r.smtp.WaitFor(t, 1, 30*time.Second)
	took := time.Since(killed)
	t.Logf("restarted leader emailed %v after its lease was left behind", took)
	if took > 12*time.Second {
		t.Errorf("emailed %v after the restart: the restarted leader did not take its own lease back", took)
	}
	if holder := waitLeaseHolder(t, r, leader); holder != leader {
		t.Errorf("lease held by %s, want the restarted %s", holder, leader)
	}
}

// waitLeaseHolder waits until some notifier (want "") or want holds the
// mailer lease and returns its id.
func waitLeaseHolder(t *testing.T, r *rig, want string) string {
	t.Helper()
	var holder string
	waittest.For(t, 20*time.Second, func() error {
		kv, err := r.js.KeyValue(context.Background(), proto.LeaseBucket)
		if err != nil {
			return err
		}
		e, err := kv.Get(context.Background(), proto.MailerLease)
		if err != nil {
			return fmt.Errorf("mailer lease: %w", err)
		}
		if holder = string(e.Value()); want != "" && holder != want {
			return fmt.Errorf("mailer lease held by %s, want %s", holder, want)
		}
		return nil
	})
	return holder
}
