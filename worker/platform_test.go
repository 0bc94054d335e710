package worker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// TestPlatformCLIs checks that scrapligo's definition gives every platform
// of the table, under each of its names, a prompt and setup commands.
func TestPlatformCLIs(t *testing.T) {
	for _, name := range ping.Names() {
		pl, c, err := platformCLI(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.prompt == nil || len(c.setup) == 0 {
			t.Errorf("%s (%s): prompt %v, setup %q", name, pl.Name, c.prompt, c.setup)
		}
	}
	if _, _, err := platformCLI("cisco_asa"); err == nil {
		t.Error("cisco_asa has a CLI")
	}
}

// TestSetupSendsWidthOnlyForLongLines checks that every platform's width
// step is found and kept apart, that a probe whose ping lines are short
// sends only the rest (unpaged output first among them), and that a long
// line brings the width step back, first.
func TestSetupSendsWidthOnlyForLongLines(t *testing.T) {
	for _, name := range ping.Platforms() {
		pl, c, err := platformCLI(name)
		if err != nil {
			t.Fatal(err)
		}
		short, err := pl.Command(ping.Params{Target: "10.0.0.1", Count: 5, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		long := short + strings.Repeat(" ", narrowWidth-promptRoom-len(short))
		got := c.setupFor([]string{short})
		if c.width == "" || slices.Contains(got, c.width) || len(got) == 0 || !strings.Contains(got[0], "length") {
			t.Errorf("%s: width step %q, setup for %q: %q", name, c.width, short, got)
		}
		if got := c.setupFor([]string{short, long}); len(got) != len(c.setup)+1 || got[0] != c.width {
			t.Errorf("%s: setup for a line of %d characters: %q, want the width step first", name, len(long), got)
		}
	}
}

// TestProbeEveryPlatform probes one simulated device per platform name of
// the table, aliases included: the prompt and setup taken from scrapligo's
// definitions must carry a whole probe on each. The third ping prints tens
// of KiB on the platforms that print a line per reply: many reads through
// the transport's one buffer, parsed whole.
func TestProbeEveryPlatform(t *testing.T) {
	var f strings.Builder
	f.WriteString("devices:\n")
	for i, name := range ping.Names() {
		fmt.Fprintf(&f, "  - { name: r%d, platform: %s, username: admin, password: pw, targets: { 10.0.0.1: up, 10.0.0.2: down, 10.0.0.3: up } }\n", i, name)
	}
	srv := simtest.Start(t, f.String())
	for i, name := range ping.Names() {
		t.Run(name, func(t *testing.T) {
			d := Device{Name: fmt.Sprintf("r%d", i), Host: "127.0.0.1", Port: srv.Port(fmt.Sprintf("r%d", i)), Platform: name,
				Username: "admin", Password: "pw", Targets: []ping.Params{target("10.0.0.1"), target("10.0.0.2"), {Target: "10.0.0.3", Count: 600, Timeout: time.Second}}}
			res := (&Prober{HostKeys: InsecureHostKeys{}, SetupTimeout: 5 * time.Second}).Probe(context.Background(), d)
			if res.Failed() {
				t.Fatalf("%s: %s", res.Failure, res.FailureText)
			}
			if len(res.Links) != 3 || res.Links[0].Status != ping.StatusUp || res.Links[1].Status != ping.StatusDown ||
				res.Links[2].Status != ping.StatusUp || res.Links[2].Sent != 600 || res.Links[2].Received != 600 {
				t.Errorf("links %+v, want UP, DOWN, then UP with 600 of 600 received", res.Links)
			}
			// A line too long for a default width: the width step too.
			d.Targets = []ping.Params{{Target: "10.0.0.1", Count: 5, Timeout: time.Second, Size: 1500, Source: "GigabitEthernet0/0/0.1234"}}
			pl, c, _ := platformCLI(name)
			if got := c.setupFor(pingLines(pl, d.Targets)); len(got) != len(c.setup)+1 {
				t.Fatalf("setup for %q: %q, want the width step too", pingLines(pl, d.Targets), got)
			}
			if res := (&Prober{HostKeys: InsecureHostKeys{}, SetupTimeout: 5 * time.Second}).Probe(context.Background(), d); res.Failed() {
				t.Fatalf("a long ping line: %s: %s", res.Failure, res.FailureText)
			}
		})
	}
}
