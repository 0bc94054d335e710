package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// TestRunPausesARefusedCredential runs `linkwatch run` (embedded NATS and
// store) over six simulated routers that all refuse the configured password
// and, like AAA, lock their logins out after two failures: three refusals
// pause the credential, so the fleet sees three failed logins in all, not
// one per device per interval; no device locks out; the other three are
// reported AUTH_FAILED with a text that says the credential is paused and
// who refused it; one error line names the credential, and the gauge says
// it is paused. The worker uses the bucket with its own role's key. No
// password appears anywhere.
//
// The site's logins go one at a time (site_concurrency: 1): a login
// already under way when the pause begins still happens, so only then is
// the count exact.
func TestRunPausesARefusedCredential(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run test skipped in -short mode")
	}
	const pauseAfter = 3
	names := []string{"r1", "r2", "r3", "r4", "r5", "r6"}
	var fleet strings.Builder
	fleet.WriteString("devices:\n")
	for _, name := range names {
		fmt.Fprintf(&fleet, "  - name: %s\n    platform: cisco_iosxe\n    username: admin\n    password: right-secret\n"+
			"    targets: {10.0.0.1: up}\n    login: {lockout: {after: 2, within: 10m, for: 10m}}\n", name)
	}
	srv := simtest.Start(t, fleet.String())

	dir := t.TempDir()
	var devices strings.Builder
	for _, name := range names {
		fmt.Fprintf(&devices, "  - { name: %s, host: 127.0.0.1, port: %d, platform: cisco_iosxe, site: dc1, targets: [10.0.0.1] }\n",
			name, srv.Port(name))
	}
	env := []string{"LW_LAB_PASSWORD=wrong-secret"}
	var metricsPort int
	run, _ := startBound(t, "run", env, 2, func(ports []int) []string {
		metricsPort = ports[1]
		cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]), devices.String())+
			fmt.Sprintf("worker:\n  site_concurrency: 1\n  logins: { pause_after: %d, within: 10m, pause_for: 30m }\n", pauseAfter))
		return []string{"run", "--config", cfg, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", metricsPort)}
	}, runBound)

	// Every device is reported, and then each is probed once more: the
	// credential stays paused through the next interval.
	pausedJobs := regexp.MustCompile(`(?m)^linkwatch_worker_jobs_total\{outcome="paused"\} (\d+)$`)
	waittest.For(t, 60*time.Second, func() error {
		m := pausedJobs.FindStringSubmatch(scrape(t, metricsPort))
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		if want := len(names) - pauseAfter + len(names); n < want {
			return fmt.Errorf("%d jobs answered paused, want at least %d (two intervals)", n, want)
		}
		return nil
	})

	var refused, spared []string
	total := 0
	for _, name := range names {
		attempts := srv.AuthAttempts(name)
		total += len(attempts)
		for _, a := range attempts {
			if a.Locked || a.Accepted || a.PasswordOK {
				t.Errorf("%s: attempt %+v, want a wrong password refused, not locked out", name, a)
			}
		}
		switch len(attempts) {
		case 0:
			spared = append(spared, name)
		case 1:
			refused = append(refused, name)
		default:
			t.Errorf("%s: %d login attempts, want at most 1", name, len(attempts))
		}
	}
	if total != pauseAfter {
		t.Fatalf("%d failed logins over the fleet, want %d (pause_after)", total, pauseAfter)
	}

	// Each device's email says why it is AUTH_FAILED.
	errorOf := regexp.MustCompile(`(?m)^dc1 / (r\d): unreachable \(AUTH_FAILED\)\n\s+at [^\n]*\n\s+error: ([^\n]*)$`)
	waittest.For(t, 30*time.Second, func() error {
		if n := len(errorOf.FindAllString(run.stdout.String(), -1)); n < len(names) {
			return fmt.Errorf("%d emails of a device AUTH_FAILED, want %d", n, len(names))
		}
		return nil
	})
	texts := map[string]string{}
	for _, m := range errorOf.FindAllStringSubmatch(run.stdout.String(), -1) {
		texts[m[1]] = m[2]
	}
	for _, name := range refused {
		if want := `the device refused the login of credential "lab"`; !strings.Contains(texts[name], want) {
			t.Errorf("%s (refused): %q, want %q", name, texts[name], want)
		}
	}
	for _, name := range spared {
		want := `credential "lab" is paused until `
		by := fmt.Sprintf(": %s refused it; %s was not logged into", strings.Join(refused, ", "), name)
		if !strings.Contains(texts[name], want) || !strings.Contains(texts[name], by) {
			t.Errorf("%s (spared): %q, want %q and %q", name, texts[name], want, by)
		}
	}

	// One error line, from the worker that paused it.
	var errs []string
	for _, line := range strings.Split(run.stderr.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			errs = append(errs, line)
		}
	}
	wantDevices := fmt.Sprintf("devices=%q", "["+strings.Join(refused, " ")+"]")
	if len(errs) != 1 || !strings.Contains(errs[0], "credential paused") || !strings.Contains(errs[0], "credential=lab") ||
		!strings.Contains(errs[0], "site=dc1") || !strings.Contains(errs[0], wantDevices) {
		t.Errorf("error lines %q, want one naming credential lab, site dc1 and %s", errs, wantDevices)
	}
	if strings.Contains(run.stderr.String(), "login guard unavailable") {
		t.Error("the worker probed without the login guard: its role could not use the login bucket")
	}
	if metrics := scrape(t, metricsPort); !strings.Contains(metrics, `linkwatch_worker_credential_paused{credential="lab",site="dc1"} 1`+"\n") {
		t.Errorf("metrics do not say credential lab is paused:\n%s", grepLines(metrics, "credential_paused"))
	}
	for _, out := range []string{run.stdout.String(), run.stderr.String()} {
		for _, secret := range []string{"wrong-secret", "right-secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("run's output holds the password %q", secret)
			}
		}
	}
}

// grepLines returns the lines of text that hold s.
func grepLines(text, s string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
