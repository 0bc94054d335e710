package worker

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// TestSessionsKilledMidProbe: the device ends a persistent session in the
// middle of a probe (at its third ping, the first of the second probe);
// the probe runs again on a fresh session and its result is right.
func TestSessionsKilledMidProbe(t *testing.T) {
	var pings atomic.Int64
	port, _ := hostileShell(t, func(w io.Writer) error {
		if pings.Add(1) == 3 {
			return errors.New("killed") // the shell ends: the session is gone
		}
		return answerUp(w)
	})
	s := NewSessions(&Prober{HostKeys: InsecureHostKeys{}, ConnectTimeout: 2 * time.Second, SetupTimeout: time.Second}, SessionsConfig{})
	defer s.Close()
	target := ping.Params{Target: "10.0.0.1", Count: 1, Timeout: time.Second}
	d := Device{Name: "r1", Site: "dc1", Host: "127.0.0.1", Port: port, Platform: "cisco_iosxe", Username: "admin",
		Password: "pw", Targets: []ping.Params{target, target}, Persistent: true}
	for i := range 3 {
		start := time.Now()
		res := s.Probe(context.Background(), d)
		if res.Failed() || len(res.Links) != 2 || res.Links[0].Status != ping.StatusUp || res.Links[1].Status != ping.StatusUp {
			t.Fatalf("probe %d: failure %v (%s), links %+v; want two UP links", i, res.Failure, res.FailureText, res.Links)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("probe %d took %s: the dropped session was not noticed at once", i, took)
		}
	}
	if n := s.Logins(); n != 2 {
		t.Errorf("%d logins, want 2: one for the first probe, one after the kill", n)
	}
	if n := pings.Load(); n != 7 {
		t.Errorf("%d pings typed, want 7 (2, the one killed, 2 again, 2)", n)
	}
}
