package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// simDevice is one router of a test fleet.
type simDevice struct {
	name, platform, site string
	delay                time.Duration
	port                 int
	hostKeySeed          string // "" is the simulator's default key
	hostKeys             string // "" is the default ([ed25519]), else e.g. "ed25519, ecdsa"
}

// testFleet is a simulator fleet file whose behaviours a test rewrites
// (every target up unless overridden by "device target" keys), served by
// a `linkwatch sim` process.
type testFleet struct {
	t       testing.TB
	path    string
	devices []simDevice
	targets []string
	sim     *proc
}

func (f *testFleet) write(override map[string]string) {
	var b strings.Builder
	b.WriteString("devices:\n")
	for _, d := range f.devices {
		fmt.Fprintf(&b, "  - name: %s\n    port: %d\n    platform: %s\n    username: admin\n    password: lab-secret\n    delay: %s\n",
			d.name, d.port, d.platform, d.delay)
		var ssh []string
		if d.hostKeySeed != "" {
			ssh = append(ssh, "host_key_seed: "+d.hostKeySeed)
		}
		if d.hostKeys != "" {
			ssh = append(ssh, "host_keys: ["+d.hostKeys+"]")
		}
		if len(ssh) > 0 {
			fmt.Fprintf(&b, "    ssh: { %s }\n", strings.Join(ssh, ", "))
		}
		b.WriteString("    targets:\n")
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

// startTestFleet writes the fleet file of devices, each with every target
// up, and serves it with `linkwatch sim`, each device on a port of its own.
func startTestFleet(t testing.TB, dir string, devices []simDevice, targets ...string) *testFleet {
	t.Helper()
	f := &testFleet{t: t, path: dir + "/fleet.yaml", devices: devices, targets: targets}
	f.sim, _ = startBound(t, "sim", nil, len(devices), func(ports []int) []string {
		for i := range f.devices {
			f.devices[i].port = ports[i]
		}
		f.write(nil)
		return []string{"sim", "--fleet", f.path}
	}, simBound)
	return f
}

// flip rewrites the fleet file with override and has the simulator
// reload it.
func (f *testFleet) flip(override map[string]string) {
	f.t.Helper()
	f.write(override)
	if err := f.sim.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		f.t.Fatal(err)
	}
}
