package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker"
	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// TestPlatformNamesAgree checks that every platform name, aliases included,
// and a few names that are none, are accepted or refused alike by the four
// entry points that take one: validate (the configuration), parse, the
// worker and the simulator. The platform table in worker/ping decides.
func TestPlatformNamesAgree(t *testing.T) {
	var fleet strings.Builder
	fleet.WriteString("devices:\n")
	for _, p := range ping.Platforms() {
		fleet.WriteString("  - { name: " + strings.ReplaceAll(p, "_", "-") + ", platform: " + p +
			", username: admin, password: pw, targets: { 10.0.0.1: up } }\n")
	}
	srv := simtest.Start(t, fleet.String())

	dir := t.TempDir()
	for _, name := range append(ping.Names(), "cisco_asa", "CISCO_IOSXE", "ios") {
		t.Run(name, func(t *testing.T) {
			want := ping.Known(name)
			got := map[string]bool{}

			cfg := filepath.Join(dir, name+".yaml")
			validateWrite(t, cfg, "credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }\n"+
				"devices: [{ name: r1, host: 127.0.0.1, platform: "+name+", credentials: lab, targets: [10.0.0.1] }]\n")
			_, _, err := validateExec(t, "validate", "--config", cfg)
			got["validate"] = err == nil

			_, err = parseExec(t, "Success rate is 100 percent (5/5)", "parse", "--platform", name)
			got["parse"] = err == nil

			_, err = sim.ParseFleet([]byte("devices: [{ name: r1, platform: " + name + ", username: admin, password: pw }]\n"))
			got["sim"] = err == nil

			// The worker probes the simulated device of the platform the
			// name stands for (any device for a name that is none).
			dev := "cisco-iosxe"
			if pl, err := ping.Lookup(name); err == nil {
				dev = strings.ReplaceAll(pl.Name, "_", "-")
			}
			res := (&worker.Prober{HostKeys: worker.InsecureHostKeys{}}).Probe(context.Background(), worker.Device{Name: "r1", Host: "127.0.0.1",
				Port: srv.Port(dev), Platform: name, Username: "admin", Password: "pw",
				Targets: []ping.Params{{Target: "10.0.0.1", Count: 1, Timeout: time.Second}}})
			got["worker"] = !res.Failed()
			if want && res.Failed() || !want && res.Failure != worker.FailureCLI {
				t.Errorf("worker: %s %s", res.Failure, res.FailureText)
			}

			for entry, accepted := range got {
				if accepted != want {
					t.Errorf("%s accepts %q: %v; the platform table: %v", entry, name, accepted, want)
				}
			}
		})
	}
}
