package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestLogFlagsOnEveryCommand checks that every command, however deep,
// has --log-level and --log-format, from the root.
func TestLogFlagsOnEveryCommand(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, name := range []string{"log-level", "log-format"} {
			if c.InheritedFlags().Lookup(name) == nil && c.PersistentFlags().Lookup(name) == nil {
				t.Errorf("%s has no --%s", c.CommandPath(), name)
			}
			if c.LocalNonPersistentFlags().Lookup(name) != nil {
				t.Errorf("%s declares its own --%s", c.CommandPath(), name)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}

func TestLogFlagValues(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--log-level", "loud"}, `--log-level "loud": must be debug, info, warn or error`},
		{[]string{"hostkeys", "list", "--log-format", "xml"}, `--log-format "xml": must be text or json`},
		{[]string{"--log-format=logfmt", "version"}, `--log-format "logfmt": must be text or json`},
		{[]string{"version", "--log-level", "WARN", "--log-format", "json"}, ``},
	}
	for _, tt := range tests {
		_, _, err := validateExec(t, tt.args...)
		if got := validateErr(err); got != tt.want {
			t.Errorf("%v: error %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestLogFormatJSON runs check, which logs the host key mode at info, on a
// device whose port is closed: with --log-format json every line on
// standard error is a JSON object; with --log-level warn the info line is
// gone.
func TestLogFormatJSON(t *testing.T) {
	dir := t.TempDir()
	port := freePorts(t, 1)[0] // nothing listens there
	cfg := writeFile(t, dir, "linkwatch.yaml", fmt.Sprintf(`data_dir: %s/data
credentials: { lab: { username: admin, password_env: LW_LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: r1, host: 127.0.0.1, port: %d, targets: [10.0.0.1] }
`, dir, port))
	t.Setenv("LW_LAB_PASSWORD", "lab-secret")
	_, stderr, err := validateExec(t, "check", "-c", cfg, "-o", "json", "--log-format", "json")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, stderr)
	}
	var sawMode bool
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line %q is not JSON: %v", line, err)
			continue
		}
		sawMode = sawMode || rec["msg"] == "device host keys" && rec["level"] == "INFO" && rec["mode"] == "tofu"
	}
	if !sawMode {
		t.Errorf("no JSON record of the host key mode on stderr:\n%s", stderr)
	}
	_, stderr, err = validateExec(t, "check", "-c", cfg, "-o", "json", "--log-level", "warn")
	if err != nil || strings.Contains(stderr, "device host keys") {
		t.Errorf("check --log-level warn: %v, stderr has info lines:\n%s", err, stderr)
	}
}
