package worker_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

const persistFleet = `
devices:
  - { name: r1, platform: cisco_iosxe, username: admin, password: pw, targets: { 10.0.0.1: up, 10.0.0.2: down } }
  - { name: bad, platform: cisco_iosxe, username: admin, password: pw, targets: { 10.0.0.1: up, 10.0.0.2: garbage, 10.0.0.3: hang, 10.0.0.4: flood } }
`

// persistDevice is a device of persistFleet pinging targets once each.
func persistDevice(srv *sim.Server, name string, targets ...string) worker.Device {
	d := worker.Device{Name: name, Site: "dc1", Host: "127.0.0.1", Port: srv.Port(name), Platform: "cisco_iosxe",
		Username: "admin", Password: "pw", Persistent: true}
	for _, t := range targets {
		d.Targets = append(d.Targets, ping.Params{Target: t, Count: 1, Timeout: time.Second})
	}
	return d
}

// logins counts the logins the simulator let in to device name.
func logins(srv *sim.Server, name string) int {
	n := 0
	for _, a := range srv.AuthAttempts(name) {
		if a.Accepted {
			n++
		}
	}
	return n
}

// wantLinks fails unless r reached the device and its links have these
// statuses.
func wantLinks(t *testing.T, what string, r worker.DeviceResult, want ...proto.LinkStatus) {
	t.Helper()
	if r.Failed() {
		t.Fatalf("%s: failed %v: %s (logged in %v)", what, r.Failure, r.FailureText, r.LoggedIn)
	}
	if len(r.Links) != len(want) {
		t.Fatalf("%s: %d links, want %d", what, len(r.Links), len(want))
	}
	for i, w := range want {
		if r.Links[i].Status != w {
			t.Errorf("%s: link %s is %v, want %v", what, r.Links[i].Target, r.Links[i].Status, w)
		}
	}
}

// noLeak fails the test, at its end, when goroutines started during it
// are still running (after the cleanups registered later, which run first).
func noLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		waittest.For(t, 10*time.Second, func() error {
			if n := runtime.NumGoroutine(); n > before {
				return fmt.Errorf("%d goroutines, %d before the test", n, before)
			}
			return nil
		})
	})
}

// persistSessions serves persistFleet and returns Sessions probing it with
// p, closed when the test ends, which also checks that no goroutine of
// theirs is left.
func persistSessions(t *testing.T, p *worker.Prober) (*sim.Server, *worker.Sessions) {
	t.Helper()
	noLeak(t)
	srv := simtest.Start(t, persistFleet)
	s := worker.NewSessions(p, worker.SessionsConfig{})
	t.Cleanup(s.Close)
	return srv, s
}

func TestSessionsProbeOverOneLogin(t *testing.T) {
	srv, s := persistSessions(t, &worker.Prober{HostKeys: worker.InsecureHostKeys{}})
	d := persistDevice(srv, "r1", "10.0.0.1", "10.0.0.2")
	for i := range 5 {
		wantLinks(t, fmt.Sprintf("probe %d", i), s.Probe(context.Background(), d), proto.LinkStatus_LINK_STATUS_UP, proto.LinkStatus_LINK_STATUS_DOWN)
	}
	if n := logins(srv, "r1"); n != 1 {
		t.Errorf("%d logins for 5 probes, want 1", n)
	}
	if open, most := srv.Sessions("r1"); open != 1 || most != 1 {
		t.Errorf("%d sessions open, at most %d; want 1 and 1", open, most)
	}
	s.Close()
	waittest.For(t, 5*time.Second, func() error {
		if open, _ := srv.Sessions("r1"); open != 0 {
			return fmt.Errorf("%d sessions open after Close", open)
		}
		return nil
	})
	if r := s.Probe(context.Background(), d); r.Failure != worker.FailureTimeout {
		t.Errorf("a probe after Close: %v %s, want TIMEOUT", r.Failure, r.FailureText)
	}
}

// TestSessionsReconnect: a session the device dropped between probes, or
// a device whose login changed, gets a fresh session, and the probe still
// gives the right result; other targets need none.
func TestSessionsReconnect(t *testing.T) {
	srv, s := persistSessions(t, &worker.Prober{HostKeys: worker.InsecureHostKeys{}})
	d := persistDevice(srv, "r1", "10.0.0.1", "10.0.0.2")
	wantLinks(t, "first", s.Probe(context.Background(), d), proto.LinkStatus_LINK_STATUS_UP, proto.LinkStatus_LINK_STATUS_DOWN)
	if n := srv.Disconnect("r1"); n != 1 {
		t.Fatalf("the simulator dropped %d connections, want 1", n)
	}
	wantLinks(t, "after the drop", s.Probe(context.Background(), d), proto.LinkStatus_LINK_STATUS_UP, proto.LinkStatus_LINK_STATUS_DOWN)
	if n := logins(srv, "r1"); n != 2 {
		t.Errorf("%d logins, want 2: one fresh session after the drop", n)
	}
	d.Targets = d.Targets[:1]
	wantLinks(t, "a target less", s.Probe(context.Background(), d), proto.LinkStatus_LINK_STATUS_UP)
	if n := logins(srv, "r1"); n != 2 {
		t.Errorf("%d logins, want 2: the same session serves other targets", n)
	}
	d.Enable = true
	wantLinks(t, "another login", s.Probe(context.Background(), d), proto.LinkStatus_LINK_STATUS_UP)
	if n := logins(srv, "r1"); n != 3 {
		t.Errorf("%d logins, want 3: a fresh session for the changed login", n)
	}
	if _, most := srv.Sessions("r1"); most != 1 {
		t.Errorf("at most %d sessions at once, want 1", most)
	}
}

// TestSessionsHostileDevice: garbage is a link error on a session that
// stays open; a ping that never ends times out within its budget and
// closes the session; a flood is cut at the output cap; each time the next
// probe works.
func TestSessionsHostileDevice(t *testing.T) {
	srv, s := persistSessions(t, &worker.Prober{HostKeys: worker.InsecureHostKeys{}, MaxOutput: 64 << 10})
	ok := persistDevice(srv, "bad", "10.0.0.1")
	for _, tt := range []struct {
		target  string
		failure worker.FailureKind
		logins  int // after the probe and one good probe
	}{
		{"10.0.0.2", worker.FailureNone, 1},
		{"10.0.0.3", worker.FailureTimeout, 2},
		{"10.0.0.4", worker.FailureCLI, 3},
	} {
		d := persistDevice(srv, "bad", "10.0.0.1", tt.target)
		start := time.Now()
		r := s.Probe(context.Background(), d)
		if took, budget := time.Since(start), (&worker.Prober{}).Budget(d); took > budget+2*time.Second {
			t.Errorf("%s: the probe took %s, past its budget %s", tt.target, took, budget)
		}
		if r.Failure != tt.failure {
			t.Errorf("%s: failure %v (%s), want %v", tt.target, r.Failure, r.FailureText, tt.failure)
		}
		if tt.failure == worker.FailureNone && (len(r.Links) != 2 || r.Links[1].Status != ping.StatusError) {
			t.Errorf("%s: links %+v, want the second in ERROR", tt.target, r.Links)
		}
		wantLinks(t, "after "+tt.target, s.Probe(context.Background(), ok), proto.LinkStatus_LINK_STATUS_UP)
		if n := logins(srv, "bad"); n != tt.logins {
			t.Errorf("after %s: %d logins, want %d", tt.target, n, tt.logins)
		}
	}
}
