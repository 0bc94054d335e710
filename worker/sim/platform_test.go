package sim

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// TestPlatformsAreTheTable checks that the simulator plays every platform of
// package ping's table and no other, and accepts and refuses fleet platform
// names exactly as the table does.
func TestPlatformsAreTheTable(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(platforms)), ping.Platforms(); !slices.Equal(got, want) {
		t.Errorf("simulated platforms %v, the table has %v", got, want)
	}
	for _, name := range append(ping.Names(), "cisco_asa", "CISCO_IOSXE", "", "cisco_ios ") {
		_, err := ParseFleet([]byte("devices:\n  - name: r1\n    platform: \"" + name + "\"\n    username: u\n    password: p\n"))
		if accepted := err == nil; accepted != ping.Known(name) {
			t.Errorf("platform %q: fleet accepted %v (%v), the table knows it %v", name, accepted, err, ping.Known(name))
		}
	}
}

// TestAliasPlaysItsPlatform serves a device under an alias and checks it
// is its platform: same SSH version, prompt and ping syntax.
func TestAliasPlaysItsPlatform(t *testing.T) {
	for _, name := range ping.Names() {
		pl, _ := ping.Lookup(name)
		if pl.Name == name {
			continue
		}
		t.Run(name, func(t *testing.T) {
			f, err := ParseFleet([]byte("devices:\n  - name: r1\n    platform: " + name +
				"\n    username: admin\n    password: secret\n    targets: { 10.0.0.1: up }\n"))
			if err != nil {
				t.Fatal(err)
			}
			s := startServer(t, f)
			c, err := dial(t, s, "r1", "admin", "secret")
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			if got, want := string(c.ServerVersion()), platforms[pl.Name].sshVersion; got != want {
				t.Errorf("SSH version %q, want %s's %q", got, pl.Name, want)
			}
			line, err := ping.Command(name, ping.Params{Target: "10.0.0.1", Count: 3, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			sess, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			out, err := sess.Output(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if r, _ := ping.Parse(name, string(out)); r.Status != ping.StatusUp || !strings.Contains(string(out), "10.0.0.1") {
				t.Errorf("%s on %s gave %s:\n%s", line, name, r.Status, out)
			}
		})
	}
}
