package sim

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startClocked starts f on clock and closes it when the test ends.
func startClocked(t *testing.T, f *Fleet, clock *fakeClock) *Server {
	t.Helper()
	s, err := start(context.Background(), f, nil, clock.now)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// keyboard logs in to r1 answering the keyboard-interactive password
// question.
func keyboard(t *testing.T, s *Server, user, pass string) error {
	t.Helper()
	addr, _ := s.Addr("r1")
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: user,
		Auth: []ssh.AuthMethod{ssh.KeyboardInteractive(func(_, _ string, _ []string, _ []bool) ([]string, error) {
			return []string{pass}, nil
		})},
		HostKeyCallback: ssh.FixedHostKey(HostPublicKey("r1")),
	})
	if err == nil {
		c.Close()
	}
	return err
}

// login is one login attempt on r1, made after waiting wait.
type login struct {
	wait       time.Duration
	user, pass string
	keyboard   bool // keyboard-interactive rather than password
	want       AuthAttempt
}

// attempt makes the login and checks whether it was let in.
func (lg login) attempt(t *testing.T, s *Server) {
	t.Helper()
	var err error
	if lg.keyboard {
		err = keyboard(t, s, lg.user, lg.pass)
	} else {
		var c *ssh.Client
		if c, err = dial(t, s, "r1", lg.user, lg.pass); err == nil {
			c.Close()
		}
	}
	if (err == nil) != lg.want.Accepted {
		t.Errorf("login %s/%s: error %v, want accepted %v", lg.user, lg.pass, err, lg.want.Accepted)
	}
}

// Shorthands for the attempts the tests expect.
var (
	good   = AuthAttempt{User: "admin", Method: "password", PasswordOK: true, Accepted: true}
	bad    = AuthAttempt{User: "admin", Method: "password"}
	locked = AuthAttempt{User: "admin", Method: "password", PasswordOK: true, Locked: true}
)

// TestAuthAttemptsAndLockout logs in to r1 with the right and wrong
// credentials, over time, and checks each attempt's outcome and record:
// user, method, whether the password was right, time, and the lockout
// (3 failures within 1m lock logins out for 2m).
func TestAuthAttemptsAndLockout(t *testing.T) {
	const lockout = "    login:\n      lockout: {after: 3, within: 1m, for: 2m}\n"
	cases := []struct {
		name   string
		keys   string
		logins []login
	}{
		{"recorded", "", []login{
			{0, "admin", "secret", false, good},
			{time.Second, "admin", "wrong", false, bad},
			{0, "nobody", "secret", false, AuthAttempt{User: "nobody", Method: "password", PasswordOK: true}},
			{0, "admin", "secret", true, AuthAttempt{User: "admin", Method: "keyboard-interactive", PasswordOK: true, Accepted: true}},
			{0, "admin", "wrong", true, AuthAttempt{User: "admin", Method: "keyboard-interactive"}},
			{0, "admin", "wrong", false, bad}, // no lockout configured
			{0, "admin", "wrong", false, bad},
			{0, "admin", "secret", false, good},
		}},
		{"locks and unlocks", lockout, []login{
			{0, "admin", "wrong", false, bad},
			{0, "nobody", "secret", false, AuthAttempt{User: "nobody", Method: "password", PasswordOK: true}},
			{10 * time.Second, "admin", "wrong", false, bad}, // the third failure locks
			{0, "admin", "secret", false, locked},
			{119 * time.Second, "admin", "secret", false, locked},
			{time.Second, "admin", "secret", false, good}, // 2m later
		}},
		{"a login let in forgets the failures", lockout, []login{
			{0, "admin", "wrong", false, bad},
			{0, "admin", "wrong", false, bad},
			{0, "admin", "secret", false, good},
			{0, "admin", "wrong", false, bad},
			{0, "admin", "wrong", false, bad},
			{0, "admin", "secret", false, good},
		}},
		{"failures outside the window do not count", lockout, []login{
			{0, "admin", "wrong", false, bad},
			{30 * time.Second, "admin", "wrong", false, bad},
			{31 * time.Second, "admin", "wrong", false, bad}, // the first is 61s old
			{0, "admin", "secret", false, good},
		}},
		{"attempts while locked do not extend it", lockout, []login{
			{0, "admin", "wrong", false, bad},
			{0, "admin", "wrong", false, bad},
			{0, "admin", "wrong", false, bad},
			{time.Minute, "admin", "wrong", false, AuthAttempt{User: "admin", Method: "password", Locked: true}},
			{0, "admin", "wrong", true, AuthAttempt{User: "admin", Method: "keyboard-interactive", Locked: true}},
			{time.Minute, "admin", "secret", false, good},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			s := startClocked(t, oneDevice(t, "cisco_iosxe", tc.keys), clock)
			var want []AuthAttempt
			for _, lg := range tc.logins {
				clock.advance(lg.wait)
				lg.attempt(t, s)
				lg.want.Time = clock.now()
				want = append(want, lg.want)
			}
			if got := localAttempts(t, s, "r1"); !reflect.DeepEqual(got, want) {
				t.Errorf("attempts:\n%s", diffAttempts(got, want))
			}
		})
	}
}

// localAttempts returns the device's authentication attempts, each
// checked to come from a loopback address, which is then left out.
func localAttempts(t *testing.T, s *Server, name string) []AuthAttempt {
	t.Helper()
	got := s.AuthAttempts(name)
	for i, a := range got {
		if !strings.HasPrefix(a.Remote, "127.0.0.1:") {
			t.Errorf("attempt %d from %q, want the client's loopback address", i, a.Remote)
		}
		got[i].Remote = ""
	}
	return got
}

// diffAttempts lists two records side by side.
func diffAttempts(got, want []AuthAttempt) string {
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w any = "-", "-"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if fmt.Sprint(g) != fmt.Sprint(w) {
			mark = "! "
		}
		fmt.Fprintf(&b, "%s got  %+v\n   want %+v\n", mark, g, w)
	}
	return b.String()
}

// TestLockoutSurvivesReload locks r1 out, moves it to another port: the new listener keeps the lockout and the record;
// a reload without the lockout lets the right password in at once.
func TestLockoutSurvivesReload(t *testing.T) {
	const base = "devices:\n  - name: r1\n    platform: cisco_iosxe\n    username: admin\n    password: secret\n"
	clock := newFakeClock()
	s := startClocked(t, mustParse(t, base+"    login: {lockout: {after: 1, for: 1h}}\n"), clock)
	login{0, "admin", "wrong", false, bad}.attempt(t, s)
	if err := s.Reload(mustParse(t, base+"    port: "+fmt.Sprint(freePort(t))+"\n    login: {lockout: {after: 1, for: 1h}}\n")); err != nil {
		t.Fatalf("reload: %v", err)
	}
	login{0, "admin", "secret", false, locked}.attempt(t, s)
	if err := s.Reload(mustParse(t, base)); err != nil {
		t.Fatalf("reload: %v", err)
	}
	login{0, "admin", "secret", false, good}.attempt(t, s)
	if n := len(s.AuthAttempts("r1")); n != 3 {
		t.Errorf("%d attempts recorded across reloads, want 3", n)
	}
	if s.AuthAttempts("r9") != nil {
		t.Error("attempts for a device the server does not serve")
	}
}

// freePort is a loopback port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestLoginMethods logs in to devices that offer one or both methods, with
// a client that knows only one: a method the device does not offer fails
// without an attempt; keyboard-interactive with an instruction sends it in
// a round that asks nothing, then asks for the password.
func TestLoginMethods(t *testing.T) {
	cases := []struct {
		name     string
		keys     string
		keyboard bool
		want     []AuthAttempt // nil: the login fails before any attempt
		rounds   []string      // the questions of each keyboard-interactive round
	}{
		{"both, password", "", false, []AuthAttempt{good}, nil},
		{"both, keyboard", "", true, []AuthAttempt{{User: "admin", Method: MethodKeyboardInteractive, PasswordOK: true, Accepted: true}},
			[]string{"Password: "}},
		{"password only, keyboard", "    login: {methods: [password]}\n", true, nil, nil},
		{"keyboard only, password", "    login: {methods: [keyboard-interactive]}\n", false, nil, nil},
		{"keyboard with an instruction", "    login: {methods: [keyboard-interactive], instruction: Authorized access only}\n", true,
			[]AuthAttempt{{User: "admin", Method: MethodKeyboardInteractive, PasswordOK: true, Accepted: true}},
			[]string{"(Authorized access only)", "Password: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			s := startClocked(t, oneDevice(t, "cisco_iosxe", tc.keys), clock)
			addr, _ := s.Addr("r1")
			var rounds []string
			auth := ssh.Password("secret")
			if tc.keyboard {
				auth = ssh.KeyboardInteractive(func(_, instruction string, questions []string, _ []bool) ([]string, error) {
					round := strings.Join(questions, "|")
					if len(questions) == 0 {
						round = "(" + instruction + ")"
					}
					rounds = append(rounds, round)
					answers := make([]string, len(questions))
					for i := range answers {
						answers[i] = "secret"
					}
					return answers, nil
				})
			}
			c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{auth},
				HostKeyCallback: ssh.FixedHostKey(HostPublicKey("r1")), Timeout: 5 * time.Second})
			if err == nil {
				c.Close()
			}
			if (err == nil) != (tc.want != nil) {
				t.Fatalf("login error %v, want success %v", err, tc.want != nil)
			}
			for i := range tc.want {
				tc.want[i].Time = clock.now()
			}
			if got := localAttempts(t, s, "r1"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("attempts:\n%s", diffAttempts(got, tc.want))
			}
			if !reflect.DeepEqual(rounds, tc.rounds) {
				t.Errorf("keyboard-interactive rounds %q, want %q", rounds, tc.rounds)
			}
		})
	}
}
