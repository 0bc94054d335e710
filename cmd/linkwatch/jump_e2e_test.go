package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// simLogLine matches the simulator's log lines of one kind (msg=forward,
// msg="auth attempt") and one device or bastion, capturing their
// attributes.
func simLogLines(sim *proc, msg, who string) []map[string]string {
	attr := regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)
	var out []map[string]string
	for _, line := range strings.Split(sim.stderr.String(), "\n") {
		if !strings.Contains(line, " msg="+msg+" "+who+" ") {
			continue
		}
		attrs := map[string]string{}
		for _, m := range attr.FindAllStringSubmatch(line, -1) {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			attrs[m[1]] = v
		}
		out = append(out, attrs)
	}
	return out
}

// TestCheckThroughJumpHost runs `linkwatch check` and `linkwatch hostkeys
// scan` against devices of `linkwatch sim` behind its bastion b1, as a
// site's jump host: every login r1 sees comes over a channel the bastion
// forwarded, a device saying jump_host: none is reached directly, a device
// the bastion may not reach is UNREACHABLE naming it, and a jump host
// whose credential the bastion refuses is AUTH_FAILED naming it, no
// device seeing a login. The scan logs in to the bastion, never to a
// device, and its known_hosts lines (the bastion's own first) then carry
// check in mode known_hosts.
func TestCheckThroughJumpHost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	dir := t.TempDir()
	sim, ports := startBound(t, "sim", nil, 3, func(ports []int) []string {
		return []string{"sim", "--fleet", writeFile(t, dir, "fleet.yaml", fmt.Sprintf(`
devices:
  - { name: r1, port: %d, platform: cisco_iosxe, username: admin, password: lab-secret, targets: { 10.0.0.1: up, 10.0.0.2: down } }
  - { name: r2, port: %d, platform: cisco_iosxe, username: admin, password: lab-secret, targets: { 10.0.0.1: up } }
bastions:
  - { name: b1, port: %d, username: jumper, password: jump-secret }
`, ports[0], ports[1], ports[2]))}
	}, simBound)
	r1, r2, b1, nowhere := ports[0], ports[1], ports[2], freePorts(t, 1)[0]
	config := func(worker string) string {
		return writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`
credentials:
  lab: { username: admin, password_env: LW_TEST_LAB_PASSWORD }
  bastion: { username: jumper, password_env: LW_TEST_JUMP_PASSWORD }
  badbastion: { username: jumper, password_env: LW_TEST_BAD_JUMP_PASSWORD }
jump_hosts:
  b1: { host: 127.0.0.1, port: %d, credentials: bastion, sites: [dc1] }
  b2: { host: 127.0.0.1, port: %d, credentials: badbastion }
worker: { %s }
defaults:
  platform: cisco_iosxe
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
  - { name: r1, host: 127.0.0.1, port: %d, site: dc1, targets: [10.0.0.1, 10.0.0.2] }
  - { name: r2, host: 127.0.0.1, port: %d, site: dc1, jump_host: none, targets: [10.0.0.1] }
  - { name: r3, host: 127.0.0.1, port: %d, site: dc1, targets: [10.0.0.1] }
  - { name: r4, host: 127.0.0.1, port: %d, site: dc2, jump_host: b2, targets: [10.0.0.1] }
`, b1, b1, worker, r1, r2, nowhere, r1))
	}
	env := []string{"LW_TEST_LAB_PASSWORD=lab-secret", "LW_TEST_JUMP_PASSWORD=jump-secret", "LW_TEST_BAD_JUMP_PASSWORD=not-the-jump-secret"}
	secrets := []string{"lab-secret", "jump-secret"} // the bad one contains the good one
	check := func(cfg string) map[string]checkRow {
		t.Helper()
		stdout, stderr, err := runCmd(t, env, "check", "--config", cfg, "--output", "json")
		if err != nil {
			t.Fatalf("check: %v\n%s", err, stderr)
		}
		for _, secret := range secrets {
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("check's output holds the secret %q", secret)
			}
		}
		rows := map[string]checkRow{}
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var r checkRow
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
			rows[r.Device+" "+r.Target] = r
		}
		return rows
	}

	rows := check(config(""))
	for key, want := range map[string]struct{ status, failure, text string }{
		"r1 10.0.0.1": {status: "UP"},
		"r1 10.0.0.2": {status: "DOWN"},
		"r2 10.0.0.1": {status: "UP"},
		"r3 10.0.0.1": {status: "UNKNOWN", failure: "UNREACHABLE", text: fmt.Sprintf("jump host b1 could not reach 127.0.0.1:%d", nowhere)},
		"r4 10.0.0.1": {status: "UNKNOWN", failure: "AUTH_FAILED", text: fmt.Sprintf(`jump host b2 (127.0.0.1:%d) refused the login of credential "badbastion"`, b1)},
	} {
		r := rows[key]
		t.Logf("%s: %s %s %s", key, r.Status, r.Failure, r.Error)
		if r.Status != want.status || r.Failure != want.failure || !strings.Contains(r.Error, want.text) {
			t.Errorf("%s: %s %s %q, want %s %s with %q", key, r.Status, r.Failure, r.Error, want.status, want.failure, want.text)
		}
	}

	// The path, from the simulator's log: r1 through b1, r2 directly.
	from := map[string]bool{}
	targets := map[string]string{}
	for _, f := range simLogLines(sim, "forward", "bastion=b1") {
		targets[f["target"]] = f["allowed"]
		if f["allowed"] == "true" {
			from[f["from"]] = true
		}
	}
	want := map[string]string{fmt.Sprintf("127.0.0.1:%d", r1): "true", fmt.Sprintf("127.0.0.1:%d", nowhere): "false"}
	if fmt.Sprint(targets) != fmt.Sprint(want) {
		t.Errorf("the bastion's forwards (target: allowed) %v, want %v", targets, want)
	}
	r1Logins := simLogLines(sim, `"auth attempt"`, "device=r1")
	if len(r1Logins) != 1 {
		t.Errorf("r1 saw %d logins, want 1 (r4's jump host refused, r4 never reached)", len(r1Logins))
	}
	for _, a := range r1Logins {
		if !from[a["remote"]] || a["accepted"] != "true" {
			t.Errorf("r1's login %v did not come over a forward of b1 (from %v)", a, from)
		}
	}
	for _, a := range simLogLines(sim, `"auth attempt"`, "device=r2") {
		if from[a["remote"]] {
			t.Errorf("r2 (jump_host: none) was logged in to through the bastion: %v", a)
		}
	}
	// Logins to the bastion, and connections it refused (however many
	// methods each tried).
	bastionLogins := func() (accepted, refused int) {
		refusedFrom := map[string]bool{}
		for _, a := range simLogLines(sim, `"auth attempt"`, "bastion=b1") {
			if a["accepted"] == "true" {
				accepted++
			} else {
				refusedFrom[a["remote"]] = true
			}
		}
		return accepted, len(refusedFrom)
	}
	if accepted, refused := bastionLogins(); accepted != 2 || refused != 1 {
		t.Errorf("the bastion let in %d logins (r1, r3) and refused %d connections (r4), want 2 and 1", accepted, refused)
	}
	pins, err := os.ReadFile(filepath.Join(dir, "data", "check-hostkeys.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"dc1.r1", "dc1.b1", "dc1.r2"} {
		if !strings.Contains(string(pins), `"`+key+`"`) {
			t.Errorf("check did not pin %s:\n%s", key, pins)
		}
	}

	// hostkeys scan: through b1 for r1, never a login to a device.
	known := filepath.Join(dir, "known_hosts")
	_, stderr, err := runCmd(t, env, "hostkeys", "scan", "--config", config(""), "--site", "dc1", "--file", known)
	if err == nil || !strings.Contains(stderr, "1 of 4 hosts could not be scanned") ||
		!strings.Contains(stderr, fmt.Sprintf("jump host b1 could not reach 127.0.0.1:%d", nowhere)) {
		t.Errorf("hostkeys scan: %v, want r3 unscanned, naming b1:\n%s", err, stderr)
	}
	for _, secret := range secrets {
		if strings.Contains(stderr, secret) {
			t.Errorf("hostkeys scan's log holds the secret %q", secret)
		}
	}
	lines, err := os.ReadFile(known)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# jump host b1 (sites dc1)\n" + fmt.Sprintf("[127.0.0.1]:%d ssh-ed25519 ", b1),
		"# dc1 r1\n" + fmt.Sprintf("[127.0.0.1]:%d ssh-ed25519 ", r1), "# dc1 r2\n"} {
		if !strings.Contains(string(lines), want) {
			t.Errorf("known_hosts lacks %q:\n%s", want, lines)
		}
	}
	if n := len(simLogLines(sim, `"auth attempt"`, "device=r1")); n != len(r1Logins) {
		t.Errorf("the scan logged in to r1 (%d logins)", n-len(r1Logins))
	}
	if accepted, _ := bastionLogins(); accepted != 4 {
		t.Errorf("the bastion saw %d accepted logins after the scan, want 4 (one for r1's keys, one for r3)", accepted)
	}

	// The scanned lines carry check with known_hosts: b1's key checked
	// too, and b2's (the same bastion) read from the same line.
	rows = check(config("known_hosts: known_hosts"))
	if r := rows["r1 10.0.0.1"]; r.Status != "UP" {
		t.Errorf("r1 with known_hosts from the scan: %+v", r)
	}
}
