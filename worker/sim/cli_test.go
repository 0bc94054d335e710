package sim

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runScript plays typed input into a shell on platform p and returns the
// whole screen output, with a fixed clock and fixed round trips.
func runScript(t *testing.T, p, input string) string {
	t.Helper()
	in := make(chan []byte, 1)
	in <- []byte(input)
	close(in)
	var out bytes.Buffer
	start := time.Date(2026, 3, 7, 9, 5, 3, 120e6, time.UTC)
	dev := &Device{Name: "r1", Platform: p, Username: "admin", Password: "secret",
		Targets: map[string]Behaviour{"10.0.0.1": {Outcome: Up}, "10.0.0.3": {Outcome: Drop, Percent: 60}}}
	c := &cli{
		ctx: context.Background(), out: &out, in: in,
		plat: platforms[p], dev: func() *Device { return dev }, host: "r1", user: "admin",
		started: start, now: func() time.Time { return start.Add(26*time.Hour + 3*time.Minute) },
		log: slog.New(slog.DiscardHandler), rng: rand.New(rand.NewPCG(1, 2)),
	}
	c.mode = c.plat.start()
	c.runShell()
	return out.String()
}

// scripts is what a person or a tool types on each platform: the paging
// and width commands tools send, abbreviations, mistakes, privilege and
// configuration modes, line editing keys.
var scripts = map[string]string{
	"cisco_iosxe": "\rterminal width 512\rterminal length 0\nterm len 0\r\nsh ver\rping 10.0.0.3\r" +
		"ping 10.0.0.1 repeat 2 tiemout 2\rping\rt\rshow bogus\rdisable\renable\rwrong\rsecret\r" +
		"conf t\rdo ping 10.0.0.1 repeat 1\rbogus\r\x1aconfigure terminal\rend\rpong\x7f\x7f\x7fing 10.0.0.1 rep 1\r" +
		"half typed\x03\x1b[Aterminal no monitor\rexit\r",
	"cisco_iosxr": "\rterminal width 512\rterminal length 0\nshow version\rping vrf MGMT 10.0.0.3 count 5 timeout 2\r" +
		"ping 10.0.0.1 repeat 2\rping nowhere.example.net\rconfigure\rcommit\rend\rconf t\rexit\rexit\r",
	"cisco_nxos": "\rterminal width 511\rterminal length 0\rshow version\rping 10.0.0.3 count 5 timeout 2 vrf default\r" +
		"ping 10.0.0.1 count\rping6 2001:db8::1 count 2\rbogus\rconfigure terminal\rend\rexit\r",
	"arista_eos": "\rterminal width 32767\rterminal length 0\rshow version\rping vrf default 10.0.0.3 repeat 5 timeout 2\r" +
		"ping 10.0.0.1 repeat 0\rbogus\rdisable\renable\rsecret\rconfigure terminal\rend\rexit\r",
	"juniper_junos": "\rset cli screen-width 511\rset cli screen-length 0\rset cli complete-on-space off\rshow version\r" +
		"ping 10.0.0.3 count 5 wait 2\rping 10.0.0.1 rapid\rping 10.0.0.1 bogus\rping\rbogus\rshow\r" +
		"configure\rrun ping 10.0.0.1 count 1\rcommit\rexit configuration-mode\rconfigure\rexit\rquit\r",
}

// TestTranscripts pins what each platform's CLI shows for its script.
// Run with -update after a deliberate change and read the diff.
func TestTranscripts(t *testing.T) {
	for _, p := range allPlatforms {
		t.Run(p, func(t *testing.T) {
			got := runScript(t, p, scripts[p])
			if strings.Contains(strings.ReplaceAll(got, "\r\n", ""), "\n") {
				t.Errorf("bare LF in transcript")
			}
			golden(t, filepath.Join("testdata", "transcript", p+".txt"), strings.ReplaceAll(got, "\r\n", "\n"))
		})
	}
}
