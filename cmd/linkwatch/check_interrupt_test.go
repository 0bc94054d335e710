package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// interruptFleet is a fleet of two devices: fast answers every ping at
// once, slow's only target never answers, so a check of both is still
// waiting for slow long after fast is done.
const interruptFleet = `devices:
  - name: fast
    platform: cisco_iosxe
    username: admin
    password: lab-secret
    targets: { 10.0.0.1: up, 10.0.0.2: down }
  - name: slow
    platform: cisco_iosxe
    username: admin
    password: lab-secret
    targets: { 10.0.0.9: hang }
`

// interruptConfig writes a configuration of the fleet's devices, fast at
// site dc1 and slow at dc2.
func interruptConfig(t *testing.T, fleet string) string {
	t.Helper()
	srv := simtest.Start(t, fleet)
	var devices strings.Builder
	for name, site := range map[string]string{"fast": "dc1", "slow": "dc2"} {
		addr, ok := srv.Addr(name)
		if !ok {
			t.Fatalf("%s is not served", name)
		}
		host, port, _ := net.SplitHostPort(addr)
		target := "[10.0.0.1, 10.0.0.2]"
		if name == "slow" {
			target = "[10.0.0.9]"
		}
		fmt.Fprintf(&devices, "  - { name: %s, host: %s, port: %s, site: %s, targets: %s }\n", name, host, port, site, target)
	}
	dir := t.TempDir()
	return writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`data_dir: %s/data
credentials: { lab: { username: admin, password_env: LW_LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab, ping: { count: 5, timeout: 30s } }
devices:
%s`, dir, devices.String()))
}

// TestCheckInterruptedPrintsWhatItHas cancels a table check once fast's
// result is in: fast's rows are printed, slow's are not, and the error
// says the run was interrupted and how far it got.
func TestCheckInterruptedPrintsWhatItHas(t *testing.T) {
	t.Setenv("LW_LAB_PASSWORD", "lab-secret")
	cfg := interruptConfig(t, interruptFleet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	opts := &checkOptions{config: cfg, output: outputTable, out: &out, errOut: &errOut,
		gathered: func(device string) {
			if device == "fast" {
				cancel()
			}
		}}
	err := runCheck(ctx, opts)
	if err == nil || !errors.Is(err, context.Canceled) ||
		!strings.Contains(err.Error(), "check interrupted: 1 of 2 devices probed, their rows printed") {
		t.Fatalf("runCheck = %v, want check interrupted after 1 of 2 devices", err)
	}
	table := out.String()
	for _, want := range []string{"DEVICE", "fast  ", "10.0.0.1", "UP", "10.0.0.2", "DOWN"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "slow") {
		t.Errorf("table has a row of the device the interruption cut short:\n%s", table)
	}
}

// TestCheckSIGINT interrupts the linkwatch binary as Ctrl-C does, once the
// fast device's rows are out: it exits 130, having printed them.
func TestCheckSIGINT(t *testing.T) {
	cfg := interruptConfig(t, interruptFleet)
	p := startProc(t, "check", []string{"LW_LAB_PASSWORD=lab-secret"}, "check", "--config", cfg, "--output", "json")
	waittest.For(t, 30*time.Second, func() error { return printed(p.stdout, `"device":"fast"`, `"target":"10.0.0.2"`) })
	p.stop(syscall.SIGINT) // returns once the process has exited
	if code := p.cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("exit status %d, want %d", code, exitInterrupted)
	}
	if got := p.stderr.String(); !strings.Contains(got, "linkwatch: check interrupted: 1 of 2 devices probed") {
		t.Errorf("stderr does not say the check was interrupted:\n%s", got)
	}
	if rows := strings.Count(p.stdout.String(), "\n"); rows != 2 || strings.Contains(p.stdout.String(), "slow") {
		t.Errorf("stdout has %d rows, want fast's 2 only:\n%s", rows, p.stdout.String())
	}
}

// TestCheckFilters checks --device and --site: unknown names are errors
// listing the known ones, before any device is probed; known ones probe
// only what they name.
func TestCheckFilters(t *testing.T) {
	t.Setenv("LW_LAB_PASSWORD", "lab-secret")
	cfg := interruptConfig(t, interruptFleet)
	errTests := []struct {
		args []string
		want string
	}{
		{[]string{"--device", "fsat"}, `--device "fsat": no device of the configuration has that name (devices: fast, slow); did you mean "fast"?`},
		{[]string{"--site", "DC2"}, `--site "DC2": no device of the configuration is at that site (sites: dc1, dc2); did you mean "dc2"?`},
		{[]string{"--device", "fast", "--site", "dc2"}, `no device is both one of --device fast and at one of --site dc2`},
	}
	for _, tt := range errTests {
		_, _, err := validateExec(t, append([]string{"check", "-c", cfg}, tt.args...)...)
		if got := validateErr(err); got != tt.want {
			t.Errorf("check %s: error %q\nwant %q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	for _, args := range [][]string{{"--device", "fast"}, {"--site", "dc1"}, {"--site", "dc1,dc9x"}} {
		stdout, stderr, err := validateExec(t, append([]string{"check", "-c", cfg, "-o", "json"}, args...)...)
		if args[1] == "dc1,dc9x" {
			if err == nil || !strings.Contains(err.Error(), `--site "dc9x"`) {
				t.Errorf("check %s: error %v, want one naming dc9x", strings.Join(args, " "), err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("check %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		if n := strings.Count(stdout, `"device":"fast"`); n != 2 || strings.Contains(stdout, "slow") {
			t.Errorf("check %s printed:\n%s\nwant fast's 2 rows only", strings.Join(args, " "), stdout)
		}
	}
}
