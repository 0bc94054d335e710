package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// simDevice is one router of a test fleet.
type simDevice struct {
	name, platform, site string
	delay                time.Duration
	port                 int
}

// testFleet is a simulator fleet file whose behaviours a test rewrites:
// every target up unless overridden by "device target" keys.
type testFleet struct {
	t       testing.TB
	path    string
	devices []simDevice
	targets []string
}

func (f *testFleet) write(override map[string]string) {
	var b strings.Builder
	b.WriteString("devices:\n")
	for _, d := range f.devices {
		fmt.Fprintf(&b, "  - name: %s\n    port: %d\n    platform: %s\n    username: admin\n    password: lab-secret\n    delay: %s\n    targets:\n",
			d.name, d.port, d.platform, d.delay)
		for _, target := range f.targets {
			behaviour := "up"
			if o, ok := override[d.name+" "+target]; ok {
				behaviour = o
			}
			fmt.Fprintf(&b, "      %s: %s\n", target, behaviour)
		}
	}
	if err := os.WriteFile(f.path, []byte(b.String()), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// configDevices is the devices section of a linkwatch.yaml for the fleet,
// or for the named devices only.
func (f *testFleet) configDevices(only ...string) string {
	var b strings.Builder
	for _, d := range f.devices {
		if len(only) > 0 && !slices.Contains(only, d.name) {
			continue
		}
		fmt.Fprintf(&b, "  - { name: %s, host: 127.0.0.1, port: %d, platform: %s, site: %s, targets: [%s] }\n",
			d.name, d.port, d.platform, d.site, strings.Join(f.targets, ", "))
	}
	return b.String()
}

func newTestFleet(t testing.TB, dir string, devices []simDevice, targets ...string) *testFleet {
	ports := freePorts(t, len(devices))
	for i := range devices {
		devices[i].port = ports[i]
	}
	f := &testFleet{t: t, path: dir + "/fleet.yaml", devices: devices, targets: targets}
	f.write(nil)
	return f
}
