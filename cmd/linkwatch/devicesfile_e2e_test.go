package main

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestRunDevicesFile runs `linkwatch run` on an inventory kept in a CSV
// file: its devices are probed, and after the file gains a device SIGHUP
// has that one probed too.
func TestRunDevicesFile(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{
		{name: "r1", platform: "cisco_iosxe", site: "dc1"},
		{name: "r2", platform: "juniper_junos", site: "dc1"}, // added to the file later
	}, "10.0.0.1", "10.0.0.2")
	csv := func(names ...string) string {
		var b strings.Builder
		b.WriteString("name,host,port,platform,site,targets\n")
		for _, d := range fleet.devices {
			if slices.Contains(names, d.name) {
				fmt.Fprintf(&b, "%s,127.0.0.1,%d,%s,%s,10.0.0.1; 10.0.0.2 timeout=1s\n", d.name, d.port, d.platform, d.site)
			}
		}
		return b.String()
	}
	writeFile(t, dir, "devices.csv", csv("r1"))
	env := []string{"LW_LAB_PASSWORD=lab-secret"}
	var cfg string
	run, _ := startBound(t, "run", env, 1, func(ports []int) []string {
		text := testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]), "")
		cfg = writeFile(t, dir, "linkwatch.yaml", strings.Replace(text, "devices:\n", "devices_file: devices.csv\n", 1))
		return []string{"run", "--config", cfg}
	}, runBound)
	upLinks := func(want ...string) func() error {
		return func() error {
			rows := statusOf(t, cfg)
			for _, link := range want {
				if r, ok := rows[link]; !ok || r.State != "UP" {
					return fmt.Errorf("%s is not UP in status yet: %+v", link, r)
				}
			}
			return nil
		}
	}
	waittest.For(t, 60*time.Second, upLinks("r1 10.0.0.1", "r1 10.0.0.2"))
	if _, ok := statusOf(t, cfg)["r2 10.0.0.1"]; ok {
		t.Fatal("r2, not in the devices file yet, has a link in status")
	}

	writeFile(t, dir, "devices.csv", csv("r1", "r2"))
	if err := run.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waittest.For(t, 30*time.Second, upLinks("r2 10.0.0.1", "r2 10.0.0.2")) // the device the reload read
}
