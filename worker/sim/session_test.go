package sim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/options"
	scrapliplatform "github.com/scrapli/scrapligo/platform"
)

// oneDevice is a fleet of r1 on platform p with extra device keys.
func oneDevice(t *testing.T, p, extra string) *Fleet {
	t.Helper()
	return mustParse(t, "devices:\n  - name: r1\n    platform: "+p+"\n    username: admin\n    password: secret\n"+
		"    targets: {10.0.0.1: up}\n"+extra)
}

// step is one line typed into a shell and what the output up to the next
// prompt must match.
type step struct{ send, want string }

// TestUserExecLogin logs in to devices whose logins land in user EXEC: the
// prompt is r1>, ping takes no options on IOS-XE, a wrong enable secret is
// "% Access denied" and leaves the user where it was, the right one leads
// to r1#, where ping takes its options.
func TestUserExecLogin(t *testing.T) {
	const keys = "    enable_password: s3cret\n    login: {lands_in: user-exec}\n"
	denied := step{"enable\rwrong\r", `^enable\r\nPassword: \r\n% Access denied\r\n\r\nr1>$`}
	enable := step{"enable\rs3cret\r", `^enable\r\nPassword: \r\nr1#$`}
	cases := []struct {
		platform string
		steps    []step
	}{
		{"cisco_iosxe", []step{
			{"ping 10.0.0.1\r", `Success rate is 100 percent \(5/5\).*\r\nr1>$`},
			{"ping 10.0.0.1 repeat 2 timeout 1\r", `^ping 10.0.0.1 repeat 2 timeout 1\r\n {17}\^\r\n` +
				`% Invalid input detected at '\^' marker\.\r\n\r\nr1>$`},
			{"enable\rsecret\r", `% Access denied\r\n\r\nr1>$`}, // the login password is not the enable secret
			denied,
			enable,
			{"ping 10.0.0.1 repeat 2 timeout 1\r", `Success rate is 100 percent \(2/2\).*\r\nr1#$`},
			{"disable\r", `^disable\r\nr1>$`},
		}},
		{"arista_eos", []step{
			{"ping 10.0.0.1 repeat 2\r", `(?s)2 packets transmitted, 2 received.*\r\nr1>$`},
			denied,
			enable,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.platform, func(t *testing.T) {
			s := startServer(t, oneDevice(t, tc.platform, keys))
			c, err := dial(t, s, "r1", "admin", "secret")
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			sh := openShell(t, c)
			sh.expect(`(^|\r\n)r1>$`)
			for _, st := range tc.steps {
				sh.send(st.send)
				out := sh.expect(`r1[>#]$`)
				if !regexp.MustCompile(st.want).MatchString(out) {
					t.Errorf("typed %q, got %q, want %s", st.send, out, st.want)
				}
			}
		})
	}
}

// TestUserExecScrapli opens a user EXEC device with scrapligo, which sends
// enable and its secondary password: the right one reaches privilege-exec,
// a wrong one fails the open.
func TestUserExecScrapli(t *testing.T) {
	s := startServer(t, oneDevice(t, "cisco_iosxe", "    enable_password: s3cret\n    login: {lands_in: user-exec}\n"))
	for secondary, ok := range map[string]bool{"s3cret": true, "secret": false} {
		t.Run(secondary, func(t *testing.T) {
			opts := append(scrapliOptions(t, s, "r1"), options.WithAuthSecondary(secondary),
				options.WithTimeoutOps(3*time.Second))
			pl, err := scrapliplatform.NewPlatform("cisco_iosxe", "127.0.0.1", opts...)
			if err != nil {
				t.Fatal(err)
			}
			d, err := pl.GetNetworkDriver()
			if err != nil {
				t.Fatal(err)
			}
			err = d.Open()
			if (err == nil) != ok {
				t.Fatalf("open with secondary %q: %v", secondary, err)
			}
			if err != nil {
				return
			}
			defer d.Close()
			if p, err := d.GetPrompt(); err != nil || p != "r1#" {
				t.Errorf("prompt %q (%v), want r1#", p, err)
			}
		})
	}
}

// TestUserExecOnlyWhereThePlatformHasIt refuses user-exec logins on the
// platforms that have none.
func TestUserExecOnlyWhereThePlatformHasIt(t *testing.T) {
	for _, p := range allPlatforms {
		_, err := ParseFleet([]byte("devices:\n  - name: r1\n    platform: " + p +
			"\n    username: u\n    password: p\n    login: {lands_in: user-exec}\n"))
		want := p == "cisco_iosxe" || p == "arista_eos"
		if (err == nil) != want {
			t.Errorf("%s: user-exec accepted %v (%v), want %v", p, err == nil, err, want)
		}
	}
}

// TestSessionBehaviours drives no_prompt and slow_banner on every platform
// through a pty: a mute shell shows its banner and nothing else until the
// client stops sending; a slow one shows nothing before its wait is over,
// then the banner and the prompt, and runs what was typed meanwhile.
func TestSessionBehaviours(t *testing.T) {
	const slow = 300 * time.Millisecond
	cases := []struct {
		name, keys string
		check      func(t *testing.T, s *Server, sh *shell, pc platformCase, opened time.Time)
	}{
		{"no_prompt", "    session: {no_prompt: true}\n", func(t *testing.T, s *Server, sh *shell, pc platformCase, _ time.Time) {
			sh.send("show version\r" + pc.paging + "\r")
			if err := sh.stdin.Close(); err != nil {
				t.Fatal(err)
			}
			if err := sh.sess.Wait(); err != nil {
				t.Errorf("end of a mute shell: %v", err)
			}
			banner := crlf(platforms[pc.platform].banner(&cli{host: "r1", user: "admin", started: s.started}))
			if got := sh.out.String(); got != banner {
				t.Errorf("output %q, want the banner %q only", got, banner)
			}
		}},
		{"slow_banner", fmt.Sprintf("    session: {slow_banner: %s}\n", slow), func(t *testing.T, _ *Server, sh *shell, pc platformCase, opened time.Time) {
			sh.send(pc.paging + "\r") // typed ahead of the prompt
			p := regexp.QuoteMeta(pc.prompt)
			sh.expect(`(?s)` + p + regexp.QuoteMeta(pc.paging) + `\r\n.*` + p + `$`)
			if waited := time.Since(opened); waited < slow {
				t.Errorf("prompt after %v, before the slow banner's %v", waited, slow)
			}
		}},
	}
	for _, pc := range platformCases {
		for _, tc := range cases {
			t.Run(pc.platform+"/"+tc.name, func(t *testing.T) {
				f := oneDevice(t, pc.platform, tc.keys)
				s := startServer(t, f)
				c, err := dial(t, s, "r1", "admin", "secret")
				if err != nil {
					t.Fatalf("login: %v", err)
				}
				defer c.Close()
				pc := pc
				pc.prompt = strings.ReplaceAll(pc.prompt, deviceName(pc.platform), "r1")
				opened := time.Now() // before the shell request: the wait starts after
				tc.check(t, s, openShell(t, c), pc, opened)
			})
		}
	}
}

// TestSlowBannerExec delays an exec command's output too.
func TestSlowBannerExec(t *testing.T) {
	const slow = 200 * time.Millisecond
	s := startServer(t, oneDevice(t, "cisco_iosxe", "    session: {slow_banner: 200ms}\n"))
	c, err := dial(t, s, "r1", "admin", "secret")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	start := time.Now()
	if out := execOutput(t, c, "ping 10.0.0.1"); !strings.Contains(out, "Success rate is 100 percent") {
		t.Errorf("ping output %q", out)
	}
	if waited := time.Since(start); waited < slow {
		t.Errorf("output after %v, before the slow banner's %v", waited, slow)
	}
}
