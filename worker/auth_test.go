package worker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/transport"
	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

const rightPassword, wrongPassword = "r1ght-pw", "wr0ng-pw"

// TestOnePasswordAttemptPerLogin logs in to simulated devices that offer
// both methods (as IOS does), only one, or keyboard-interactive with a
// round that asks nothing first, trying the methods in linkwatch's order
// and in the reverse one: whatever the device offers and whichever method
// goes first, the device sees exactly one attempt, refused or let in.
func TestOnePasswordAttemptPerLogin(t *testing.T) {
	devices := []struct{ name, login string }{
		{"both", ""},
		{"password", "{methods: [password]}"},
		{"keyboard", "{methods: [keyboard-interactive]}"},
		{"instruction", "{methods: [keyboard-interactive, password], instruction: Authorized access only}"},
	}
	var fleet strings.Builder
	fleet.WriteString("devices:\n")
	for _, d := range devices {
		fmt.Fprintf(&fleet, "  - {name: %s, platform: cisco_iosxe, username: admin, password: %s", d.name, rightPassword)
		if d.login != "" {
			fmt.Fprintf(&fleet, ", login: %s", d.login)
		}
		fleet.WriteString("}\n")
	}
	srv := simtest.Start(t, fleet.String())
	for _, d := range devices {
		for _, reversed := range []bool{false, true} {
			for _, password := range []string{wrongPassword, rightPassword} {
				name := fmt.Sprintf("%s/reversed=%v/%s", d.name, reversed, password)
				t.Run(name, func(t *testing.T) {
					before := len(srv.AuthAttempts(d.name))
					dev := Device{Name: d.name, Host: "127.0.0.1", Port: srv.Port(d.name), Credential: "lab",
						Username: "admin", Password: password}
					ctx := context.Background()
					tr := newSSHTransport(ctx, dev, ssh.InsecureIgnoreHostKey(), nil, 5*time.Second, 1<<20)
					if reversed {
						slices.Reverse(tr.cfg.Auth)
					}
					err := tr.Open(&transport.Args{TermHeight: 24, TermWidth: 80})
					tr.Close()
					attempts := srv.AuthAttempts(d.name)[before:]
					if len(attempts) != 1 {
						t.Fatalf("%d attempts %+v, want exactly 1", len(attempts), attempts)
					}
					if password == rightPassword {
						if err != nil || !attempts[0].Accepted {
							t.Errorf("right password: %v, attempt %+v", err, attempts[0])
						}
						return
					}
					if kind := classifyOpen(ctx, tr, err); kind != FailureAuth || attempts[0].Accepted {
						t.Errorf("wrong password: %v (%v), attempt %+v", kind, err, attempts[0])
					}
				})
			}
		}
	}
}

// TestRefusedLoginText probes a device that refuses the password: one
// attempt, AUTH_FAILED, a text that names the credential and the user and
// holds no password.
func TestRefusedLoginText(t *testing.T) {
	srv := simtest.Start(t, "devices:\n  - {name: r1, platform: cisco_iosxe, username: admin, password: "+rightPassword+"}\n")
	p := &Prober{ConnectTimeout: 5 * time.Second, HostKeys: InsecureHostKeys{}}
	r := p.Probe(context.Background(), Device{Name: "r1", Host: "127.0.0.1", Port: srv.Port("r1"), Platform: "cisco_iosxe",
		Credential: "lab", Username: "admin", Password: wrongPassword,
		Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}})
	want := `the device refused the login of credential "lab" (user "admin"); the password is offered once per login`
	if r.Failure != FailureAuth || !strings.Contains(r.FailureText, want) {
		t.Errorf("result %v %q, want AUTH_FAILED with %q", r.Failure, r.FailureText, want)
	}
	if strings.Contains(r.FailureText, wrongPassword) || strings.Contains(r.FailureText, rightPassword) {
		t.Errorf("failure text %q holds a password", r.FailureText)
	}
	if n := len(srv.AuthAttempts("r1")); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestKeyboardInteractiveRounds answers keyboard-interactive rounds as a
// device may ask them: a round that asks nothing is answered with nothing
// and is no attempt; the first question gets the password; a second round
// that asks again is refused rather than answered.
func TestKeyboardInteractiveRounds(t *testing.T) {
	tr := newSSHTransport(context.Background(), Device{Credential: "lab", Username: "admin", Password: rightPassword}, ssh.InsecureIgnoreHostKey(), nil, time.Second, 0)
	methods, next := tr.passwordOnce(Device{Credential: "lab", Username: "admin", Password: rightPassword})
	ask := methods[1].(ssh.KeyboardInteractiveChallenge)
	rounds := []struct {
		questions []string
		want      []string
		refused   bool
	}{
		{nil, nil, false},
		{[]string{"Password: "}, []string{rightPassword}, false},
		{nil, nil, false},
		{[]string{"Password: "}, nil, true},
	}
	for i, r := range rounds {
		got, err := ask("", "", r.questions, make([]bool, len(r.questions)))
		if (err != nil) != r.refused || !slices.Equal(got, r.want) {
			t.Errorf("round %d (%q): answers %q, error %v; want %q, refused %v", i, r.questions, got, err, r.want, r.refused)
		}
		if err != nil && strings.Contains(err.Error(), rightPassword) {
			t.Errorf("round %d: the error holds the password: %v", i, err)
		}
	}
	if m, err := next(nil); m != nil || err == nil {
		t.Errorf("after the attempt, the next method is %v, %v: want none and an error", m, err)
	}
}

// TestKeyboardInteractiveOnlyAPasswordPrompt: the password goes only to a
// round asking one hidden answer. A round with an echoed field (a user
// name) or several questions (a passcode after the password) is refused
// without typing it, and is no attempt.
func TestKeyboardInteractiveOnlyAPasswordPrompt(t *testing.T) {
	for _, r := range []struct {
		name      string
		questions []string
		echos     []bool
	}{
		{"echoed", []string{"Username: "}, []bool{true}},
		{"two questions", []string{"Password: ", "Enter PASSCODE: "}, []bool{false, false}},
		{"user and password", []string{"Username: ", "Password: "}, []bool{true, false}},
	} {
		t.Run(r.name, func(t *testing.T) {
			d := Device{Credential: "lab", Username: "admin", Password: rightPassword}
			tr := newSSHTransport(context.Background(), d, ssh.InsecureIgnoreHostKey(), nil, time.Second, 0)
			methods, _ := tr.passwordOnce(d)
			ask := methods[1].(ssh.KeyboardInteractiveChallenge)
			got, err := ask("", "", r.questions, r.echos)
			if err == nil || slices.Contains(got, rightPassword) || strings.Contains(err.Error(), rightPassword) {
				t.Fatalf("answers %q, error %v: want a refusal without the password", got, err)
			}
			if tr.authOffered.Load() {
				t.Error("a refused round counted as the attempt")
			}
		})
	}
}
