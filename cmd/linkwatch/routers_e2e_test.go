package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

// routerCase is one simulated router as routers in the field are, what
// the configuration says of it, and how check must report it.
type routerCase struct {
	name    string
	sim     string // the device's keys in the fleet file, after its name, port and platform
	target  string
	config  string // the device's extra keys in linkwatch.yaml
	status  string // the row's status
	failure string
	text    string // in the row's error
}

// TestCheckRealWorldRouters runs `linkwatch check` against `linkwatch sim`
// devices that behave as older, stricter or broken routers do: a login
// that lands in user EXEC, legacy-only SSH, a flood, garbage, a hang, no
// prompt, a slow banner.
func TestCheckRealWorldRouters(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	const login = "    username: admin\n    password: lab-secret\n"
	cases := []routerCase{
		{name: "userexec", sim: login + "    enable_password: en-secret\n    login: { lands_in: user-exec }\n",
			target: "10.0.0.1: up", config: "credentials: enabler", status: "UP"},
		{name: "badenable", sim: login + "    enable_password: en-secret\n    login: { lands_in: user-exec }\n",
			target: "10.0.0.1: up", config: "credentials: badenabler", status: "UNKNOWN", failure: "AUTH_FAILED",
			text: "enable: the device refused"},
		{name: "legacy", sim: login + "    ssh: { algorithms: legacy-group1 }\n", target: "10.0.0.1: up",
			config: "ssh: { legacy: true }", status: "UP"},
		{name: "legacydefault", sim: login + "    ssh: { algorithms: legacy-group1 }\n", target: "10.0.0.1: up",
			status: "UNKNOWN", failure: "SSH_NEGOTIATION", text: "diffie-hellman-group1-sha1; allow them for this device with ssh: { legacy: true }"},
		{name: "flood", sim: login, target: "10.0.0.1: flood", status: "UNKNOWN", failure: "CLI_ERROR",
			text: "the device sent more than 256 KiB in answer to one command"},
		{name: "garbage", sim: login, target: "10.0.0.1: garbage", status: "ERROR", text: "%"},
		{name: "hang", sim: login, target: "10.0.0.1: hang", status: "UNKNOWN", failure: "TIMEOUT",
			text: "no prompt within 6.1s, the ping's budget"},
		{name: "noprompt", sim: login + "    session: { no_prompt: true }\n", target: "10.0.0.1: up",
			status: "UNKNOWN", failure: "TIMEOUT", text: "no prompt within 10s"},
		{name: "slowbanner", sim: login + "    session: { slow_banner: 2s }\n", target: "10.0.0.1: up", status: "UP"},
	}
	rows := checkRouters(t, cases, 256, nil)
	for _, c := range cases {
		r, ok := rows[c.name]
		if !ok {
			t.Errorf("%s: no row", c.name)
			continue
		}
		if r.Status != c.status || r.Failure != c.failure || !strings.Contains(r.Error, c.text) {
			t.Errorf("%s: %s %s %q, want %s %s with %q", c.name, r.Status, r.Failure, r.Error, c.status, c.failure, c.text)
		}
		if !utf8.ValidString(r.Error) || strings.ContainsAny(r.Error, "\x1b\x07\r") {
			t.Errorf("%s: error text %q is not clean", c.name, r.Error)
		}
	}
}

// checkRouters serves cases with `linkwatch sim`, runs `linkwatch check`
// over them with worker.max_output_kib maxKiB, and returns one row per
// device (each has one target). usage, when set, receives check's
// resource usage.
func checkRouters(t *testing.T, cases []routerCase, maxKiB int, usage *syscall.Rusage) map[string]checkRow {
	t.Helper()
	dir := t.TempDir()
	_, ports := startBound(t, "sim", nil, len(cases), func(ports []int) []string {
		var fleet strings.Builder
		fleet.WriteString("devices:\n")
		for i, c := range cases {
			fmt.Fprintf(&fleet, "  - name: %s\n    port: %d\n    platform: cisco_iosxe\n%s    targets: { %s }\n",
				c.name, ports[i], c.sim, c.target)
		}
		return []string{"sim", "--fleet", writeFile(t, dir, "fleet.yaml", fleet.String())}
	}, simBound)
	var devices strings.Builder
	for i, c := range cases {
		extra := ""
		if c.config != "" {
			extra = ", " + c.config
		}
		fmt.Fprintf(&devices, "  - { name: %s, host: 127.0.0.1, port: %d, targets: [10.0.0.1]%s }\n", c.name, ports[i], extra)
	}
	cfg := writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`
interval: 1m
credentials:
  lab: { username: admin, password_env: LW_TEST_LAB_PASSWORD }
  enabler: { username: admin, password_env: LW_TEST_LAB_PASSWORD, enable_password_env: LW_TEST_ENABLE }
  badenabler: { username: admin, password_env: LW_TEST_LAB_PASSWORD, enable_password_env: LW_TEST_BAD_ENABLE }
worker: { concurrency: %d, max_output_kib: %d }
defaults:
  platform: cisco_iosxe
  credentials: lab
  ping: { count: 1, timeout: 1s }
devices:
%s`, len(cases), maxKiB, devices.String()))
	cmd := exec.Command(binary, "check", "--config", cfg, "--output", "json")
	cmd.Env = append(os.Environ(), "LW_TEST_LAB_PASSWORD=lab-secret", "LW_TEST_ENABLE=en-secret", "LW_TEST_BAD_ENABLE=not-it")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("check: %v\nstderr:\n%s", err, stderr.String())
	}
	if usage != nil {
		*usage = *cmd.ProcessState.SysUsage().(*syscall.Rusage)
	}
	// No host key setting here: check pins each device's key at first
	// contact, in a file of its own, and has nothing to warn about.
	if strings.Contains(stderr.String(), "host keys are not checked") || !strings.Contains(stderr.String(), "mode=tofu") {
		t.Errorf("check without host key settings is not in mode tofu, or warns:\n%s", stderr.String())
	}
	pins, err := os.ReadFile(filepath.Join(dir, "data", "check-hostkeys.json"))
	if err != nil {
		t.Fatalf("check pinned no host key: %v", err)
	}
	for _, c := range cases {
		if c.failure != "SSH_NEGOTIATION" && !strings.Contains(string(pins), `"default.`+c.name+`"`) {
			t.Errorf("check did not pin the host key of %s:\n%s", c.name, pins)
		}
	}
	out := stdout.String() + stderr.String()
	for _, secret := range []string{"lab-secret", "en-secret", "not-it"} {
		if strings.Contains(out, secret) {
			t.Errorf("check's output holds the secret %q", secret)
		}
	}
	rows := map[string]checkRow{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r checkRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("row %q: %v", line, err)
		}
		rows[r.Device] = r
	}
	return rows
}

// TestCheckFloodingDevicesMemory runs check over 10 devices that flood at
// once, at concurrency 10, with the default 4 MiB cap per command, and
// holds its peak RSS to a budget: the cap and the worker's bounded reads
// keep each flood to a few MiB, however long the device would go on.
func TestCheckFloodingDevicesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	var cases []routerCase
	for i := range 10 {
		// A ping's budget of 10 s: reading 4 MiB from each of ten devices
		// at once takes seconds in a race build on a loaded machine, and
		// the cap, not the clock, must be what ends these probes.
		cases = append(cases, routerCase{name: fmt.Sprintf("flood%d", i), sim: "    username: admin\n    password: lab-secret\n",
			target: "10.0.0.1: flood", config: "ping: { count: 1, timeout: 10s }"})
	}
	var usage syscall.Rusage
	rows := checkRouters(t, cases, 4096, &usage)
	for _, c := range cases {
		if r := rows[c.name]; r.Failure != "CLI_ERROR" || !strings.Contains(r.Error, "more than 4 MiB") {
			t.Errorf("%s: %s %q, want CLI_ERROR: more than 4 MiB", c.name, r.Failure, r.Error)
		}
	}
	// Maxrss is in KiB on Linux. The race detector (go test -race builds
	// the binary with it) multiplies memory use; the budget is for either.
	peak := usage.Maxrss >> 10
	budget := int64(256)
	if raceBuild {
		budget = 512
	}
	t.Logf("peak RSS of check with 10 flooding devices at concurrency 10: %d MiB (race build: %v)", peak, raceBuild)
	if peak > budget {
		t.Errorf("peak RSS %d MiB, over the budget of %d MiB", peak, budget)
	}
}
