package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// authAttempts counts the logins the simulator saw on device name: one
// "auth attempt" line each, as an AAA server's accounting would show.
func authAttempts(sim *proc, name string) int {
	return strings.Count(sim.stderr.String(), `msg="auth attempt" device=`+name+" ")
}

// changeHostKey gives the simulated device i a new host key and waits for
// the simulator to serve it.
func changeHostKey(t *testing.T, f *testFleet, i int, seed string) {
	t.Helper()
	reloads := strings.Count(f.sim.stderr.String(), "fleet reloaded")
	f.devices[i].hostKeySeed = seed
	f.flip(nil)
	waittest.For(t, 10*time.Second, func() error {
		if strings.Count(f.sim.stderr.String(), "fleet reloaded") == reloads {
			return fmt.Errorf("the simulator has not reloaded its fleet yet")
		}
		return nil
	})
}

// TestCheckHostKeyModes runs `linkwatch check` in each host key mode
// against a device, then against the same device with another host key:
// in modes tofu and known_hosts the changed key is HOSTKEY_MISMATCH and the
// device sees no login at all; only insecure logs in, and says at start
// that it checks nothing. known_hosts comes from `linkwatch hostkeys scan`,
// keeping only the ECDSA key of a second device that has two keys: that
// device is asked for its listed key and gets in.
func TestCheckHostKeyModes(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	tests := []struct {
		mode      string
		settings  string // the worker section's host key settings
		changed   string // status after the key changed
		failure   string
		text      string
		insecure  bool
		knownFile bool
	}{
		{mode: "tofu", settings: "", changed: "UNKNOWN", failure: "HOSTKEY_MISMATCH",
			text: "host key changed: the device presented ssh-ed25519"},
		{mode: "known_hosts", settings: "known_hosts: known_hosts", changed: "UNKNOWN", failure: "HOSTKEY_MISMATCH",
			text: "key mismatch", knownFile: true},
		{mode: "insecure", settings: "host_keys: insecure", changed: "UP", insecure: true},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			dir := t.TempDir()
			fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "dc1", hostKeySeed: "first"},
				{name: "multi", platform: "cisco_iosxe", site: "dc1", hostKeys: "ed25519, ecdsa"}}, "10.0.0.1")
			cfg := writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`
credentials:
  lab: { username: admin, password_env: LW_TEST_LAB_PASSWORD }
worker: { %s }
defaults:
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
%s`, tt.settings, fleet.configDevices()))
			if tt.knownFile {
				scanned := filepath.Join(dir, "scanned")
				if _, stderr, err := runCmd(t, nil, "hostkeys", "scan", "--config", cfg, "--file", scanned); err != nil {
					t.Fatalf("hostkeys scan: %v\n%s", err, stderr)
				}
				if authAttempts(fleet.sim, "r1")+authAttempts(fleet.sim, "multi") != 0 {
					t.Fatal("hostkeys scan logged in to a device")
				}
				data, err := os.ReadFile(scanned)
				if err != nil {
					t.Fatal(err)
				}
				// multi's lines: its comment, then one per key, ed25519 first.
				lines, keep := strings.Split(strings.TrimSpace(string(data)), "\n"), []string{}
				kinds := map[string]int{}
				for _, l := range lines {
					f := strings.Fields(l)
					if len(f) == 3 && f[0] != "#" {
						kinds[f[0]+" "+f[1]]++
					}
					if !(len(f) == 3 && f[0] == fmt.Sprintf("[127.0.0.1]:%d", fleet.devices[1].port) && f[1] == "ssh-ed25519") {
						keep = append(keep, l)
					}
				}
				if len(kinds) != 3 || len(keep) != len(lines)-1 {
					t.Fatalf("scan found %v, want r1's ed25519 key and multi's ed25519 and ECDSA keys:\n%s", kinds, data)
				}
				writeFile(t, dir, "known_hosts", strings.Join(keep, "\n")+"\n")
			}
			env := []string{"LW_TEST_LAB_PASSWORD=lab-secret"}
			check := func() (map[string]checkRow, string) {
				t.Helper()
				out, stderr, err := runCmd(t, env, "check", "--config", cfg, "--output", "json")
				if err != nil {
					t.Fatalf("check: %v\n%s", err, stderr)
				}
				rows := map[string]checkRow{}
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					var r checkRow
					if err := json.Unmarshal([]byte(line), &r); err != nil {
						t.Fatalf("check row %q: %v\n%s", line, err, stderr)
					}
					rows[r.Device] = r
				}
				return rows, stderr
			}
			rows, stderr := check()
			for _, name := range []string{"r1", "multi"} {
				if rows[name].Status != "UP" {
					t.Fatalf("first check of %s: %+v\n%s", name, rows[name], stderr)
				}
			}
			if warned := strings.Contains(stderr, "device host keys are not checked"); warned != tt.insecure {
				t.Errorf("insecure warning shown: %v, want %v:\n%s", warned, tt.insecure, stderr)
			}
			logins := authAttempts(fleet.sim, "r1")
			changeHostKey(t, fleet, 0, "second")
			rows, stderr = check()
			if r := rows["r1"]; r.Status != tt.changed || r.Failure != tt.failure || !strings.Contains(r.Error, tt.text) {
				t.Fatalf("after the key changed: %s %s %q, want %s %s with %q\n%s", r.Status, r.Failure, r.Error,
					tt.changed, tt.failure, tt.text, stderr)
			}
			after := authAttempts(fleet.sim, "r1")
			if tt.insecure && after == logins {
				t.Error("insecure mode did not log in to the changed device")
			}
			if !tt.insecure && after != logins {
				t.Errorf("the device with a changed host key saw %d login attempts: a password was sent", after-logins)
			}
		})
	}
}

// TestRunHostKeyChanged runs `linkwatch run` (pins on the bus, shared by
// the site's workers): the first probe pins the device's key, `hostkeys
// list` shows it; the device's key changes: one email, no password sent
// however many probes follow; `hostkeys forget` and the next probe pins the
// new key, and the device is reachable again.
func TestRunHostKeyChanged(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "dc1", hostKeySeed: "first"}}, "10.0.0.1")
	var cfg string
	run, _ := startBound(t, "run", []string{"LW_LAB_PASSWORD=lab-secret"}, 1, func(ports []int) []string {
		cfg = writeFile(t, dir, "linkwatch.yaml",
			testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]), fleet.configDevices()))
		return []string{"run", "--config", cfg}
	}, runBound)
	subjectRE := regexp.MustCompile(`(?m)^Subject: .*`)
	emails := func() []string { return subjectRE.FindAllString(run.stdout.String(), -1) }
	list := func() hostkeyRow {
		t.Helper()
		out, stderr, err := runCmd(t, nil, "hostkeys", "list", "--config", cfg, "--output", "json")
		if err != nil {
			t.Fatalf("hostkeys list: %v\n%s", err, stderr)
		}
		var r hostkeyRow
		if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
			t.Fatalf("hostkeys list %q: %v", out, err)
		}
		return r
	}
	waittest.For(t, 30*time.Second, func() error {
		if r := list(); r.Fingerprint == "" {
			return fmt.Errorf("r1 not pinned yet")
		}
		return nil
	})
	first := list()
	if first.Site != "dc1" || first.Device != "r1" || first.Type != "ssh-ed25519" || !strings.HasPrefix(first.Fingerprint, "SHA256:") {
		t.Fatalf("hostkeys list: %+v", first)
	}
	logins := authAttempts(fleet.sim, "r1")
	changeHostKey(t, fleet, 0, "second")
	waittest.For(t, 30*time.Second, func() error {
		if len(emails()) < 1 {
			return fmt.Errorf("no email yet")
		}
		return nil
	})
	// Three more intervals: the device stays refused, and no second email.
	handshakes := func() int { return strings.Count(fleet.sim.stderr.String(), "ssh handshake failed") }
	seen := handshakes()
	waittest.For(t, 30*time.Second, func() error {
		if handshakes() < seen+3 {
			return fmt.Errorf("%d refused handshakes since the alert, want 3", handshakes()-seen)
		}
		return nil
	})
	if got := emails(); len(got) != 1 || !strings.Contains(got[0], "r1 unreachable (HOSTKEY_MISMATCH)") {
		t.Fatalf("emails after the key changed: %q, want one saying r1 is unreachable (HOSTKEY_MISMATCH)", got)
	}
	out := run.stdout.String()
	for _, want := range []string{"host key changed", "linkwatch hostkeys forget dc1 r1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the alert lacks %q:\n%s", want, out)
		}
	}
	if n := authAttempts(fleet.sim, "r1") - logins; n != 0 {
		t.Fatalf("the device with a changed host key saw %d login attempts", n)
	}
	if list().Fingerprint != first.Fingerprint {
		t.Fatal("the pin changed without anyone forgetting it")
	}

	if stdout, stderr, err := runCmd(t, nil, "hostkeys", "forget", "dc1", "r1", "--config", cfg); err != nil || !strings.Contains(stdout, "forgot") {
		t.Fatalf("hostkeys forget: %v\n%s%s", err, stdout, stderr)
	}
	waittest.For(t, 30*time.Second, func() error {
		if len(emails()) < 2 {
			return fmt.Errorf("no recovery email yet")
		}
		return nil
	})
	if got := emails(); !strings.Contains(got[1], "r1 reachable again") {
		t.Errorf("second email %q, want r1 reachable again", got[1])
	}
	if second := list(); second.Fingerprint == first.Fingerprint || second.Fingerprint == "" {
		t.Errorf("after forget the pin is %q, want the new key (old %q)", second.Fingerprint, first.Fingerprint)
	}
	if _, stderr, err := runCmd(t, nil, "hostkeys", "forget", "dc1", "nosuch", "--config", cfg); err == nil || !strings.Contains(stderr, "no pinned host key") {
		t.Errorf("forget of a device without a pin: %v %s", err, stderr)
	}
}
