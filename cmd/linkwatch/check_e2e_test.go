package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/sim"
)

var allPlatforms = []string{"cisco_iosxe", "cisco_iosxr", "cisco_nxos", "arista_eos", "juniper_junos"}

// TestCheckAgainstSimulator runs `linkwatch sim` with one device of every
// platform and every behaviour, plus a device with a wrong password, one
// whose host key does not match known_hosts and a closed port, then runs
// `linkwatch check --output json` over real SSH and asserts every row.
func TestCheckAgainstSimulator(t *testing.T) {
	dir := t.TempDir()
	names := append(append([]string{}, allPlatforms...), "badpw", "badkey")
	platformOf := func(i int) string {
		if i >= len(allPlatforms) {
			return "cisco_iosxe"
		}
		return names[i]
	}
	_, ports := startBound(t, "sim", nil, len(names), func(ports []int) []string {
		var fleet strings.Builder
		fleet.WriteString("devices:\n")
		for i, name := range names {
			fmt.Fprintf(&fleet, `  - name: %s
    port: %d
    platform: %s
    username: admin
    password: lab-secret
    targets:
      10.0.0.1: up
      10.0.0.2: down
      10.0.0.3: drop 60
      nosuch.example.net: unknown-host
`, name, ports[i], platformOf(i))
		}
		return []string{"sim", "--fleet", writeFile(t, dir, "fleet.yaml", fleet.String())}
	}, simBound)
	var devices, known strings.Builder
	for i, name := range names {
		platform := platformOf(i)
		cred := "lab"
		if name == "badpw" {
			cred = "wrong"
		}
		fmt.Fprintf(&devices, `  - { name: %s, host: 127.0.0.1, port: %d, platform: %s, site: dc1, credentials: %s,
      targets: [10.0.0.1, 10.0.0.2, 10.0.0.3, nosuch.example.net] }
`, name, ports[i], platform, cred)
		keyOf := name
		if name == "badkey" {
			keyOf = "someone-else"
		}
		addr := knownhosts.Normalize(fmt.Sprintf("127.0.0.1:%d", ports[i]))
		known.WriteString(knownhosts.Line([]string{addr}, sim.HostPublicKey(keyOf)) + "\n")
	}
	closed := freePorts(t, 1)[0] // nothing listens there
	fmt.Fprintf(&devices, "  - { name: closed, host: 127.0.0.1, port: %d, platform: cisco_nxos, site: dc2, targets: [10.0.0.1, 10.0.0.2] }\n", closed)

	knownFile := writeFile(t, dir, "known_hosts", known.String())
	cfgFile := writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`
interval: 1m
credentials:
  lab: { username: admin, password_env: LW_TEST_LAB_PASSWORD }
  wrong: { username: admin, password_env: LW_TEST_WRONG_PASSWORD }
worker: { concurrency: 4, known_hosts: %s }
defaults:
  credentials: lab
  ping: { count: 5, timeout: 1s }
devices:
%s`, knownFile, devices.String()))

	env := []string{"LW_TEST_LAB_PASSWORD=lab-secret", "LW_TEST_WRONG_PASSWORD=not-the-password"}
	stdout, stderr, err := runCmd(t, env, "check", "--config", cfgFile, "--output", "json")
	if err != nil {
		t.Fatalf("check: %v\nstderr:\n%s", err, stderr)
	}
	rows := map[string]checkRow{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r checkRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("row %q: %v", line, err)
		}
		if r.CheckedAt == "" || r.Site == "" {
			t.Errorf("row %q lacks checked_at or site", line)
		}
		rows[r.Device+" "+r.Target] = r
	}
	if want := len(names)*4 + 2; len(rows) != want {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), want, stdout)
	}
	for _, p := range allPlatforms {
		expect(t, rows, p, "10.0.0.1", "UP", 5, 5)
		expect(t, rows, p, "10.0.0.2", "DOWN", 5, 0)
		expect(t, rows, p, "10.0.0.3", "DROP", 5, 3)
		expect(t, rows, p, "nosuch.example.net", "ERROR", 0, 0)
		if r := rows[p+" 10.0.0.1"]; r.RTTAvgMs == nil {
			t.Errorf("%s: UP link has no RTT", p)
		}
	}
	for device, kind := range map[string]string{"badpw": "AUTH_FAILED", "badkey": "HOSTKEY_MISMATCH", "closed": "REFUSED"} {
		for key, r := range rows {
			if r.Device != device {
				continue
			}
			if r.Status != "UNKNOWN" || r.Failure != kind || !strings.HasPrefix(r.Error, kind+": ") {
				t.Errorf("%s: status %s failure %s error %q, want UNKNOWN %s", key, r.Status, r.Failure, r.Error, kind)
			}
		}
	}
	if strings.Contains(stderr, "host keys are not checked") {
		t.Error("check warned that host keys go unchecked although known_hosts is set")
	}
	if strings.Contains(stdout+stderr, "lab-secret") || strings.Contains(stdout+stderr, "not-the-password") {
		t.Error("a password appears in check's output")
	}
}

func expect(t *testing.T, rows map[string]checkRow, device, target, status string, sent, received int) {
	t.Helper()
	r, ok := rows[device+" "+target]
	if !ok {
		t.Errorf("%s %s: no row", device, target)
		return
	}
	if r.Status != status || (status != "ERROR" && (r.Sent != sent || r.Received != received)) {
		t.Errorf("%s %s: %s %d/%d (error %q), want %s %d/%d", device, target, r.Status, r.Received, r.Sent, r.Error,
			status, received, sent)
	}
	if status == "ERROR" && r.Error == "" {
		t.Errorf("%s %s: ERROR without the device's message", device, target)
	}
}

func TestCheckRejectsBadOutputFlag(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "c.yaml", "devices:\n  - { name: r1, host: 127.0.0.1, credentials: x, targets: [10.0.0.1] }\ncredentials:\n  x: { username: a, password_env: X }\n")
	_, stderr, err := runCmd(t, nil, "check", "--config", cfg, "--output", "yaml")
	if err == nil || !strings.Contains(stderr, "--output") {
		t.Fatalf("err %v, stderr %q: want an error naming --output", err, stderr)
	}
	_ = os.Remove(cfg)
}

// TestCheckNotifyLikeCron runs `linkwatch check --notify` three times, as
// cron would, with the embedded store: the first run records state
// quietly, a link flipped DOWN before the second gives one email, and a
// third run with nothing changed gives none.
func TestCheckNotifyLikeCron(t *testing.T) {
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_nxos", site: "dc1"}}, "10.0.0.1", "10.0.0.2")
	cfg := writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`
data_dir: %s/data
notify: { from: linkwatch@example.net, to: [noc@example.net] }
credentials: { lab: { username: admin, password_env: LW_LAB_PASSWORD } }
defaults: { credentials: lab, ping: { count: 2, timeout: 1s } }
devices:
%s`, dir, fleet.configDevices()))
	env := []string{"LW_LAB_PASSWORD=lab-secret"}
	cron := func() (rows, emails string) {
		t.Helper()
		out, errOut, err := runCmd(t, env, "check", "--notify", "--config", cfg, "--output", "json")
		if err != nil {
			t.Fatalf("check --notify: %v\n%s", err, errOut)
		}
		return out, errOut
	}
	if _, emails := cron(); strings.Contains(emails, "Subject:") {
		t.Fatalf("first run emailed although every link is UP:\n%s", emails)
	}
	fleet.flip(map[string]string{"r1 10.0.0.2": "down"})
	var rows, emails string
	waittest.For(t, 20*time.Second, func() error {
		if rows, emails = cron(); !strings.Contains(rows, `"status":"DOWN"`) {
			return fmt.Errorf("the simulator has not taken the link down yet:\n%s", rows)
		}
		return nil
	})
	if n := strings.Count(emails, "Subject:"); n != 1 || !strings.Contains(emails, "UP → DOWN") {
		t.Fatalf("run after the flip: %d emails, want 1 with UP → DOWN:\n%s", n, emails)
	}
	if _, emails := cron(); strings.Contains(emails, "Subject:") {
		t.Fatalf("a run with nothing changed emailed:\n%s", emails)
	}
}
