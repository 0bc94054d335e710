package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// TestCompletion asks cobra's hidden __complete command, as the bash, zsh
// and fish scripts do, for the values of flags and arguments.
func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "linkwatch.yaml", `credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: core-1, host: 10.1.0.1, site: dc1, targets: [10.0.0.1, { address: 10.0.0.2, vrf: MGMT }] }
  - { name: core-2, host: 10.1.0.2, site: dc2, platform: juniper_junos, targets: [10.0.0.1] }
  - { name: edge-1, host: 10.1.0.3, site: dc2, targets: [10.0.0.3] }
`)
	bad := writeFile(t, dir, "bad.yaml", "intervall: 5m\n")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"check --device", []string{"check", "-c", cfg, "--device", ""},
			[]string{"core-1\tdc1 cisco_iosxe 10.1.0.1", "core-2\tdc2 juniper_junos 10.1.0.2", "edge-1\tdc2 cisco_iosxe 10.1.0.3"}},
		{"check --device prefix", []string{"check", "-c", cfg, "--device", "co"},
			[]string{"core-1\tdc1 cisco_iosxe 10.1.0.1", "core-2\tdc2 juniper_junos 10.1.0.2"}},
		{"check --device list", []string{"check", "-c", cfg, "--device", "core-1,"},
			[]string{"core-1,core-2\tdc2 juniper_junos 10.1.0.2", "core-1,edge-1\tdc2 cisco_iosxe 10.1.0.3"}},
		{"worker --site", []string{"worker", "--config", cfg, "--site", ""}, []string{"dc1\t1 devices", "dc2\t2 devices"}},
		{"run --sites list", []string{"run", "--config=" + cfg, "--sites", "dc2,"}, []string{"dc2,dc1\t1 devices"}},
		{"status --site", []string{"status", "-c", cfg, "--site", "dc"}, []string{"dc1\t1 devices", "dc2\t2 devices"}},
		{"status --state", []string{"status", "-c", cfg, "--state", ""}, state.ShownStates},
		{"status --state prefix", []string{"status", "--state", "D"}, []string{"DOWN", "DROP"}},
		{"parse --platform", []string{"parse", "--platform", ""}, ping.Names()},
		{"silence add --target", []string{"silence", "add", "-c", cfg, "--device", "core-1", "--target", ""}, []string{"10.0.0.1", "10.0.0.2\tvrf MGMT"}},
		{"history DEVICE", []string{"history", "-c", cfg, "e"}, []string{"edge-1\tdc2 cisco_iosxe 10.1.0.3"}},
		{"history DEVICE TARGET", []string{"history", "-c", cfg, "core-1", ""}, []string{"10.0.0.1", "10.0.0.2\tvrf MGMT"}},
		{"history DEVICE TARGET more", []string{"history", "-c", cfg, "core-1", "10.0.0.1", ""}, nil},
		{"hostkeys forget SITE", []string{"hostkeys", "forget", "-c", cfg, ""}, []string{"dc1\t1 devices", "dc2\t2 devices"}},
		{"hostkeys forget SITE DEVICE", []string{"hostkeys", "forget", "-c", cfg, "dc2", ""},
			[]string{"core-2\tdc2 juniper_junos 10.1.0.2", "edge-1\tdc2 cisco_iosxe 10.1.0.3"}},
		{"a configuration with problems", []string{"check", "-c", bad, "--device", ""}, nil},
		{"no configuration", []string{"check", "-c", dir + "/none.yaml", "--site", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := validateExec(t, append([]string{"__complete"}, tt.args...)...)
			if err != nil {
				t.Fatalf("__complete %s: %v", strings.Join(tt.args, " "), err)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			got, directive := lines[:len(lines)-1], lines[len(lines)-1]
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("suggestions:\n%q\nwant:\n%q", got, tt.want)
			}
			if directive != ":4" { // cobra.ShellCompDirectiveNoFileComp
				t.Errorf("directive %s, want :4 (no file names)", directive)
			}
		})
	}
}

// TestCompletionConfigFile checks that --config completes YAML files.
func TestCompletionConfigFile(t *testing.T) {
	stdout, _, err := validateExec(t, "__complete", "check", "--config", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(stdout), "yaml\nyml\n:8"; got != want { // ShellCompDirectiveFilterFileExt
		t.Errorf("__complete check --config: %q, want %q", got, want)
	}
}

// TestCompletionScripts checks that the completion command writes the
// script of every shell the README names.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		stdout, _, err := validateExec(t, "completion", shell)
		if err != nil || !strings.Contains(stdout, "__complete") {
			t.Errorf("completion %s: %v, script without __complete:\n%.200s", shell, err, stdout)
		}
	}
}
