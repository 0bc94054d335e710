package mailer_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/render"
	"github.com/linkwatch/linkwatch/notifier/route"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/proto/waittest"
)

// sender answers every Send with err and keeps what it was given.
type sender struct {
	err  error
	mu   sync.Mutex
	sent []render.Email
}

func (s *sender) Send(_ context.Context, e render.Email) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, e)
	return s.err
}

func (s *sender) emails() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sent)
}

// outbox is an embedded store holding n link alerts of r1.
func outbox(t *testing.T, n int) state.Store {
	t.Helper()
	st, err := store.OpenEmbedded(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var alerts []state.Alert
	for i := range n {
		c := state.Change{Device: "r1", Site: "dc1", Target: fmt.Sprintf("10.0.0.%d", i+1), From: "UP", To: "DOWN", At: at}
		alerts = append(alerts, state.Alert{ID: fmt.Sprintf("a%d", i), Kind: state.AlertLink, Created: at, Change: &c})
	}
	err = st.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) {
		return state.Update{Device: state.Device{Name: "r1", Site: "dc1"}, Alerts: alerts}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// settled says what became of the alerts: how many wait in the outbox,
// how many of those carry a failed attempt, and how many are parked, with
// the last error of the first one of either.
func settled(t *testing.T, st state.Store) (waiting, tried, parked int, lastErr string) {
	t.Helper()
	out, err := st.Outbox(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := st.Parked(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out {
		if a.Attempts > 0 {
			tried++
			lastErr = cmp.Or(lastErr, a.LastError)
		}
	}
	for _, a := range dead {
		lastErr = cmp.Or(lastErr, a.LastError)
	}
	return len(out), tried, len(dead), lastErr
}

// The outcomes of one delivery, the same whether the mailer's loop or a
// one-shot Flush sends: sent alerts leave the outbox, permanently refused
// ones are parked, temporarily refused ones stay with the attempt recorded.
var outcomes = []struct {
	name                  string
	err                   error
	waiting, tried, parks int
	lastErr               string
}{
	{"sent", nil, 0, 0, 0, ""},
	{"temporary", errors.New("451 try again later"), 2, 2, 0, "451 try again later"},
	{"permanent", mailer.Permanent(errors.New("550 mailbox unavailable")), 0, 0, 2, "550 mailbox unavailable"},
}

func TestFlushSettlesAlerts(t *testing.T) {
	for _, tc := range outcomes {
		t.Run(tc.name, func(t *testing.T) {
			st, s := outbox(t, 2), &sender{err: tc.err}
			err := mailer.New(st, s, mailer.Config{From: "lw@example.net", To: []string{"noc@example.net"}}).Flush(t.Context())
			if (err != nil) != (tc.err != nil) || (err != nil && !strings.Contains(err.Error(), "send alert email: "+tc.lastErr)) {
				t.Errorf("Flush = %v, want the send error %v", err, tc.err)
			}
			if mailer.IsPermanent(err) != mailer.IsPermanent(tc.err) {
				t.Errorf("Flush = %v: permanent %v, want %v", err, mailer.IsPermanent(err), mailer.IsPermanent(tc.err))
			}
			if n := s.emails(); n != 1 {
				t.Errorf("%d emails, want 1", n)
			}
			waiting, tried, parked, lastErr := settled(t, st)
			if waiting != tc.waiting || tried != tc.tried || parked != tc.parks || lastErr != tc.lastErr {
				t.Errorf("after Flush: %d waiting, %d tried, %d parked, last error %q; want %d, %d, %d, %q",
					waiting, tried, parked, lastErr, tc.waiting, tc.tried, tc.parks, tc.lastErr)
			}
		})
	}
}

func TestRunSettlesAlertsLikeFlush(t *testing.T) {
	for _, tc := range outcomes {
		t.Run(tc.name, func(t *testing.T) {
			st, s := outbox(t, 2), &sender{err: tc.err}
			m := mailer.New(st, s, mailer.Config{From: "lw@example.net", To: []string{"noc@example.net"}})
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { defer close(done); m.Run(ctx, nil) }()
			defer func() { cancel(); <-done }()
			waittest.For(t, 10*time.Second, func() error {
				waiting, tried, parked, lastErr := settled(t, st)
				if s.emails() < 1 || waiting != tc.waiting || tried != tc.tried || parked != tc.parks || lastErr != tc.lastErr {
					return fmt.Errorf("%d emails, %d waiting, %d tried, %d parked, last error %q; want 1, %d, %d, %d, %q",
						s.emails(), waiting, tried, parked, lastErr, tc.waiting, tc.tried, tc.parks, tc.lastErr)
				}
				return nil
			})
		})
	}
}

func TestFlushSplitsAtMaxPerEmail(t *testing.T) {
	st, s := outbox(t, 5), &sender{}
	if err := mailer.New(st, s, mailer.Config{MaxPerEmail: 2}).Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := s.emails(); n != 3 {
		t.Errorf("%d emails for 5 alerts at 2 per email, want 3", n)
	}
	if waiting, _, _, _ := settled(t, st); waiting != 0 {
		t.Errorf("%d alerts still waiting after Flush", waiting)
	}
}

// TestRecipientsAtSendTime: an email goes to its route's recipients in the
// table in force when it is sent; the alerts of a route without
// recipients there (removed by a reload, or the default route of a table
// without notify.to) go to the default recipients, or to the last
// catch-all route when there are none; with neither, an error is logged.
func TestRecipientsAtSendTime(t *testing.T) {
	const warnFallback = `level=WARN msg="alerts of a route without recipients in the configuration go to the default recipients (notify.to, or the last catch-all route)"`
	dc1 := route.Route{Name: "dc1-team", Sites: []string{"dc1"}, To: []string{"dc1@example.net"}}
	all := route.Route{Name: "all", To: []string{"all@example.net"}}
	for _, tc := range []struct {
		name  string
		table *route.Table
		want  map[string][]string
		log   string
		about []string // the routes log is said of, once each
	}{
		{"default recipients", &route.Table{To: []string{"noc@example.net"}, Routes: []route.Route{dc1}},
			map[string][]string{"dc1-team": {"dc1@example.net"}, "gone": {"noc@example.net"}, "default": {"noc@example.net"}},
			warnFallback, []string{"gone"}},
		{"a catch-all route", &route.Table{Routes: []route.Route{dc1, all}},
			map[string][]string{"dc1-team": {"dc1@example.net"}, "gone": {"all@example.net"}, "default": {"all@example.net"}},
			warnFallback, []string{"gone", "default"}},
		{"no one", &route.Table{Routes: []route.Route{dc1}},
			map[string][]string{"dc1-team": {"dc1@example.net"}, "gone": nil, "default": nil},
			`level=ERROR msg="alerts of a route without recipients in the configuration, and neither notify.to nor a last catch-all route to send them to: they cannot be emailed and are parked"`, []string{"gone", "default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := routedOutbox(t, "dc1-team", "gone", "")
			s, logs := &sender{}, &waittest.Buffer{}
			m := mailer.New(st, s, mailer.Config{From: "lw@example.net", Routes: func() *route.Table { return tc.table },
				Log: slog.New(slog.NewTextHandler(logs, nil))})
			_ = m.Flush(t.Context()) // no recipients is the sender's to refuse; this one takes anything
			got := map[string][]string{}
			for _, e := range s.sent {
				got[e.Headers[render.HeaderRoute]] = e.To
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("recipients by route %v, want %v", got, tc.want)
			}
			for _, name := range tc.about {
				if n := strings.Count(logs.String(), tc.log+" route="+name); n != 1 {
					t.Errorf("logged %s for route %s %d times, want once:\n%s", tc.log, name, n, logs.String())
				}
			}
		})
	}
}

// routedOutbox is an embedded store holding one link alert of r1 on each
// of routes.
func routedOutbox(t *testing.T, routes ...string) state.Store {
	st := outbox(t, 0)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var alerts []state.Alert
	for i, r := range routes {
		c := state.Change{Device: "r1", Site: "dc1", Target: fmt.Sprintf("10.0.0.%d", i+1), From: "UP", To: "DOWN", At: at}
		alerts = append(alerts, state.Alert{ID: route.ID(fmt.Sprintf("a%d", i), r), Kind: state.AlertLink, Created: at, Change: &c, Route: r})
	}
	if err := st.Commit(t.Context(), "r1", func(state.Device) (state.Update, error) {
		return state.Update{Device: state.Device{Name: "r1", Site: "dc1"}, Alerts: alerts}, nil
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRunWaitsForTheMailServer: while the mail server cannot be reached
// the mailer says so once and is not ready; once it answers, the alerts go
// out, it says so once, and it is ready again.
func TestRunWaitsForTheMailServer(t *testing.T) {
	st, s := outbox(t, 1), &sender{err: errors.New("dial tcp 127.0.0.1:25: connect: connection refused")}
	logs := &waittest.Buffer{}
	m := mailer.New(st, s, mailer.Config{From: "lw@example.net", To: []string{"noc@example.net"},
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err := m.Ready(t.Context()); err != nil {
		t.Errorf("Ready before any attempt = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, nil) }()
	defer func() { cancel(); <-done }()
	waittest.For(t, 10*time.Second, func() error {
		if s.emails() < 2 {
			return fmt.Errorf("%d attempts, want 2", s.emails())
		}
		err := m.Ready(t.Context())
		if err == nil || !strings.Contains(err.Error(), "waiting for the mail server to deliver alerts: send alert email: dial tcp") {
			return fmt.Errorf("Ready = %v, want it waiting", err)
		}
		return nil
	})
	s.mu.Lock()
	s.err = nil
	s.mu.Unlock()
	waittest.For(t, 10*time.Second, func() error {
		if waiting, _, _, _ := settled(t, st); waiting != 0 {
			return fmt.Errorf("%d alerts waiting", waiting)
		}
		return m.Ready(t.Context())
	})
	for _, line := range []string{`msg="waiting for the mail server to deliver alerts"`, `msg="done waiting for the mail server to deliver alerts"`} {
		if n := strings.Count(logs.String(), line); n != 1 {
			t.Errorf("logged %s %d times, want once:\n%s", line, n, logs.String())
		}
	}
}
