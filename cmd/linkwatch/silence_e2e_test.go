package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestSilenceCommands runs `linkwatch run` against the simulator and the
// silence commands against it: a silenced device's link going down is in
// the history and not emailed; silence list shows who silenced it and
// why; silence expire makes the notifier email the change once. Requests
// the notifier must refuse are refused with a reason.
func TestSilenceCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end silence test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "dc1"}}, "10.0.0.1", "10.0.0.2")
	env := []string{"LW_LAB_PASSWORD=lab-secret"}
	var cfg string
	run, _ := startBound(t, "run", env, 1, func(ports []int) []string {
		cfg = writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]),
			fleet.configDevices()))
		return []string{"run", "--config", cfg}
	}, runBound)
	subjectRE := regexp.MustCompile(`(?m)^Subject: `)
	emails := func() int { return len(subjectRE.FindAllString(run.stdout.String(), -1)) }
	inState := func(target, want string) func() error {
		return func() error {
			if got := statusOf(t, cfg)["r1 "+target].State; got != want {
				return fmt.Errorf("status shows %s %q, want %s", target, got, want)
			}
			return nil
		}
	}
	waittest.For(t, 60*time.Second, inState("10.0.0.1", "UP"))

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--device", "r9", "--for", "1h", "--comment", "x"}, `silence.add refused by the notifier: device "r9" is not in the inventory`},
		{[]string{"--device", "r1.x", "--for", "1h", "--comment", "x"}, `device: "r1.x" is not a valid name`},
		{[]string{"--device", "r1", "--target", "10.9.9.9", "--for", "1h", "--comment", "x"}, `device "r1" has no target "10.9.9.9"`},
		{[]string{"--site", "dc1", "--for", "31d", "--comment", "x"}, "a silence may last at most 720h0m0s (30 days)"},
		{[]string{"--device", "r1", "--for", "1h", "--comment", strings.Repeat("é", 300)}, "comment: is 600 bytes long, more than 500"},
		{[]string{"--device", "r1", "--until", "2020-01-01T00:00:00Z", "--comment", "x"}, "end 2020-01-01T00:00:00Z is in the past"},
	} {
		_, stderr, err := runCmd(t, nil, append([]string{"silence", "add", "--config", cfg}, tc.args...)...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("silence add %.80v: %v, stderr %q; want a refusal saying %q", tc.args, err, stderr, tc.want)
		}
	}

	out, stderr, err := runCmd(t, nil, "silence", "add", "--config", cfg, "--device", "r1", "--site", "dc1", "--for", "2h",
		"--comment", "IOS upgrade, change 4711")
	if err != nil {
		t.Fatalf("silence add: %v\n%s", err, stderr)
	}
	m := regexp.MustCompile(`^silence ([0-9a-f]{12}): device r1 at site dc1 until \S+Z\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("silence add printed %q", out)
	}
	id := m[1]

	fleet.flip(map[string]string{"r1 10.0.0.1": "down"})
	waittest.For(t, 60*time.Second, inState("10.0.0.1", "DOWN"))
	hist, _, err := runCmd(t, nil, "history", "r1", "10.0.0.1", "--config", cfg, "--output", "json")
	if err != nil || !strings.Contains(hist, `"to":"DOWN"`) {
		t.Errorf("history of the silenced link: %v\n%s", err, hist)
	}
	if n := emails(); n != 0 {
		t.Fatalf("%d emails while r1 is silenced:\n%s", n, run.stdout.String())
	}

	out, stderr, err = runCmd(t, nil, "silence", "list", "--config", cfg, "--output", "json")
	if err != nil {
		t.Fatalf("silence list: %v\n%s", err, stderr)
	}
	var row silenceRow
	if err := json.Unmarshal([]byte(out), &row); err != nil {
		t.Fatalf("silence list --output json: %v\n%s", err, out)
	}
	if row.ID != id || row.State != "active" || row.Device != "r1" || row.Comment != "IOS upgrade, change 4711" ||
		!strings.Contains(row.CreatedBy, "@") {
		t.Errorf("silence list row = %+v", row)
	}
	table, _, err := runCmd(t, nil, "silence", "list", "--config", cfg)
	if err != nil || !strings.Contains(table, "ID") || !strings.Contains(table, id+"  active  device r1 at site dc1") {
		t.Errorf("silence list table (%v):\n%s", err, table)
	}

	out, stderr, err = runCmd(t, nil, "silence", "expire", "--config", cfg, id)
	if err != nil || !strings.HasPrefix(out, "silence "+id+" (device r1 at site dc1) ended at ") || !strings.Contains(out, "expired by ") {
		t.Fatalf("silence expire: %v, %q\n%s", err, out, stderr)
	}
	waittest.For(t, 30*time.Second, func() error {
		if n := emails(); n != 1 {
			return fmt.Errorf("%d emails after the silence ended, want 1", n)
		}
		return nil
	})
	if text := run.stdout.String(); !strings.Contains(text, "10.0.0.1") || !strings.Contains(text, "UP → DOWN") {
		t.Errorf("email after the silence:\n%s", text)
	}
	_, stderr, err = runCmd(t, nil, "silence", "expire", "--config", cfg, "0123456789ab")
	if err == nil || !strings.Contains(stderr, "no silence 0123456789ab") {
		t.Errorf("expire of an unknown silence: %v, %s", err, stderr)
	}
	out, _, _ = runCmd(t, nil, "silence", "list", "--config", cfg, "--output", "json")
	if !strings.Contains(out, `"state":"expired"`) {
		t.Errorf("silence list after expiry:\n%s", out)
	}
	if n := emails(); n != 1 {
		t.Errorf("%d emails in all, want 1", n)
	}
}
