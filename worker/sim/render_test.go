package sim

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/render")

// renderPing prints a whole ping the way a session streams it, stopping
// after sent probes when sent < count (the user's ^C).
func renderPing(p *platform, line string, b Behaviour, sent int) string {
	var out strings.Builder
	now := time.Date(2026, 3, 7, 9, 5, 3, 120e6, time.UTC)
	r, err := p.ping.parse(tokenize(line))
	if err != nil {
		return "refused\n"
	}
	r.v6 = strings.HasPrefix(line, "2001:") // NX-OS takes IPv6 targets as ping6
	if b.Outcome == UnknownHost {
		return p.render.unknownHost(r, now)
	}
	run := newPingRun(r, b, rand.New(rand.NewPCG(1, 2)), now, time.Second)
	out.WriteString(p.render.header(run))
	for range min(sent, r.count) {
		out.WriteString(p.render.probe(run, run.next()))
	}
	out.WriteString(p.render.footer(run))
	return out.String()
}

// TestRenderGolden pins each platform's ping output format. Run with
// -update after a deliberate change and read the diff.
func TestRenderGolden(t *testing.T) {
	common := []struct {
		name string
		args map[string]string // the words after "ping", per platform ("" for all)
		b    string
		sent int
	}{
		{"up", nil, "up", 100},
		{"down", nil, "down", 100},
		{"drop", nil, "drop 60", 100},
		{"unknown-host", map[string]string{"": "nowhere.example.net"}, "unknown-host", 100},
		{"interrupted", nil, "up", 2},
		{"ipv6", map[string]string{"": "2001:db8::1"}, "up", 100},
		{"long", map[string]string{
			"cisco_iosxe": "10.0.0.1 repeat 100 size 1500 source 10.9.9.9", "cisco_iosxr": "vrf MGMT 10.0.0.1 count 100 source Loopback0",
			"cisco_nxos": "10.0.0.1 count 100 packet-size 1472 source 10.9.9.9 vrf MGMT", "arista_eos": "vrf MGMT 10.0.0.1 repeat 100 size 1500 source 10.9.9.9",
			"juniper_junos": "10.0.0.1 count 100 rapid routing-instance MGMT",
		}, "drop 99", 100},
	}
	for _, name := range allPlatforms {
		p := platforms[name]
		for _, tc := range common {
			args := tc.args[name]
			if args == "" {
				args = tc.args[""]
			}
			if args == "" {
				args = "10.0.0.1"
			}
			b, err := ParseBehaviour(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			got := "ping " + args + "\n" + renderPing(p, args, b, tc.sent)
			golden(t, filepath.Join("testdata", "render", name+"-"+tc.name+".txt"), got)
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./worker/sim -run TestRenderGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
