package worker

import (
	"context"
	"fmt"
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

// TestProbeEveryPlatform probes one simulated device per platform name of
// the table, aliases included: the prompt and setup taken from scrapligo's
// definitions must carry a whole probe on each.
func TestProbeEveryPlatform(t *testing.T) {
	var f strings.Builder
	f.WriteString("devices:\n")
	for i, name := range ping.Names() {
		fmt.Fprintf(&f, "  - { name: r%d, platform: %s, username: admin, password: pw, targets: { 10.0.0.1: up, 10.0.0.2: down } }\n", i, name)
	}
	srv := simtest.Start(t, f.String())
	for i, name := range ping.Names() {
		t.Run(name, func(t *testing.T) {
			d := Device{Name: fmt.Sprintf("r%d", i), Host: "127.0.0.1", Port: srv.Port(fmt.Sprintf("r%d", i)), Platform: name,
				Username: "admin", Password: "pw", Targets: []ping.Params{target("10.0.0.1"), target("10.0.0.2")}}
			res := (&Prober{HostKeys: InsecureHostKeys{}, SetupTimeout: 5 * time.Second}).Probe(context.Background(), d)
			if res.Failed() {
				t.Fatalf("%s: %s", res.Failure, res.FailureText)
			}
			if len(res.Links) != 2 || res.Links[0].Status != ping.StatusUp || res.Links[1].Status != ping.StatusDown {
				t.Errorf("links %+v, want UP then DOWN", res.Links)
			}
		})
	}
}
