package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestTailAndWatch runs `linkwatch run` against the simulator with `tail`
// (as lines and as JSON) and `status --watch` reading through pipes:
// after a link flips, tail prints its change and the watch draws a table
// with the new state; after it flips back, tail has printed each change
// once; Ctrl-C ends them with status 0.
func TestTailAndWatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tail test skipped in -short mode")
	}
	dir := t.TempDir()
	fleet := startTestFleet(t, dir, []simDevice{{name: "r1", platform: "cisco_iosxe", site: "dc1"}}, "10.0.0.1", "10.0.0.2")
	env := []string{"LW_LAB_PASSWORD=lab-secret"}
	var cfg string
	startBound(t, "run", env, 1, func(ports []int) []string {
		cfg = writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", fmt.Sprintf(`listen: "127.0.0.1:%d"`, ports[0]),
			fleet.configDevices()))
		return []string{"run", "--config", cfg}
	}, runBound)
	waittest.For(t, 60*time.Second, func() error {
		rows := statusOf(t, cfg)
		if rows["r1 10.0.0.1"].State != "UP" || rows["r1 10.0.0.2"].State != "UP" {
			return fmt.Errorf("status %v, want both links UP", rows)
		}
		return nil
	})

	lines := startProc(t, "tail", nil, "tail", "--config", cfg, "--interval", "200ms")
	jsonLines := startProc(t, "tail json", nil, "tail", "--config", cfg, "--interval", "200ms", "--site", "dc1", "--output", "json")
	watch := startProc(t, "status --watch", nil, "status", "--config", cfg, "--watch", "300ms")
	for _, p := range []*proc{lines, jsonLines} {
		waittest.For(t, 20*time.Second, func() error { return printed(p.stderr, "tail: following the changes") })
	}
	waittest.For(t, 20*time.Second, func() error { return printed(watch.stdout, "--- ", "2 UP\n") })

	fleet.flip(map[string]string{"r1 10.0.0.2": "down"})
	waittest.For(t, 60*time.Second, func() error {
		return printed(lines.stdout, "  dc1  r1  10.0.0.2  UP → DOWN  0/1 received")
	})
	waittest.For(t, 20*time.Second, func() error {
		return printed(jsonLines.stdout, `"device":"r1","site":"dc1","target":"10.0.0.2"`, `"from":"UP","to":"DOWN"`)
	})
	waittest.For(t, 20*time.Second, func() error {
		frames := strings.Split(watch.stdout.String(), "--- ")
		last := frames[len(frames)-1]
		if !strings.Contains(last, "1 UP · 1 DOWN\n") || !strings.Contains(last, "r1      dc1   10.0.0.2  DOWN") {
			return fmt.Errorf("the last table is not of the flipped link:\n%s", last)
		}
		return nil
	})
	// It comes back: the second change, and the first not again.
	fleet.flip(nil)
	waittest.For(t, 60*time.Second, func() error {
		return printed(lines.stdout, "  dc1  r1  10.0.0.2  DOWN → UP  1/1 received")
	})
	waittest.For(t, 20*time.Second, func() error { return printed(jsonLines.stdout, `"from":"DOWN","to":"UP"`) })
	for _, p := range []*proc{lines, jsonLines, watch} {
		p.stop(syscall.SIGINT)
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("%s after Ctrl-C: exit status %d, want 0", p.name, code)
		}
	}
	if n := strings.Count(lines.stdout.String(), "→"); n != 2 {
		t.Errorf("tail printed %d changes, want the two flips once each:\n%s", n, lines.stdout.String())
	}
	if n := strings.Count(jsonLines.stdout.String(), "\n"); n != 2 {
		t.Errorf("tail --output json printed %d lines, want the two flips once each:\n%s", n, jsonLines.stdout.String())
	}
}
