package main

import (
	"strings"
	"testing"
)

// TestUnknownNames checks that status, history and tail refuse a site or
// device the configuration does not have, naming the known ones, before
// anything is dialled (the configuration's NATS address has no server).
func TestUnknownNames(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "linkwatch.yaml", testConfig(dir+"/data", `url: "nats://127.0.0.1:1"`, `
  - { name: core1, host: 127.0.0.1, port: 2201, platform: cisco_iosxe, site: dc1, targets: [10.0.0.1] }
  - { name: edge2, host: 127.0.0.1, port: 2202, platform: arista_eos, site: dc2, targets: [10.0.0.1] }
`))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--site", "nosuch"}, `--site "nosuch": no device of the configuration is at that site (sites: dc1, dc2)`},
		{[]string{"status", "--device", "nosuch"}, `--device "nosuch": no device of the configuration has that name (devices: core1, edge2)`},
		{[]string{"status", "--device", "edge3"}, `--device "edge3": no device of the configuration has that name (devices: core1, edge2); did you mean "edge2"?`},
		{[]string{"tail", "--site", "dc9"}, `--site "dc9": no device of the configuration is at that site (sites: dc1, dc2); did you mean "dc1"?`},
		{[]string{"history", "core2"}, `history: device "core2": no device of the configuration has that name (devices: core1, edge2); did you mean "core1"?`},
		{[]string{"history", "nosuchdev"}, `history: device "nosuchdev": no device of the configuration has that name (devices: core1, edge2)`},
		{[]string{"status", "--device", "core1"}, "is linkwatch running?"},
	} {
		_, _, err := validateExec(t, append(tc.args, "--config", cfg)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(tc.want, "configuration") && err.Error() != tc.want {
			t.Errorf("linkwatch %s: error %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestStatusWatchArg checks --watch's value: none (2s), --watch=5s, and
// --watch 5s (an argument pflag leaves); other arguments are refused.
func TestStatusWatchArg(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--watch", "--output", "json"}, "--watch draws a table"},
		{[]string{"--watch=50ms"}, "--watch 50ms: must be at least 100ms"},
		{[]string{"--watch", "50ms"}, "--watch 50ms: must be at least 100ms"},
		{[]string{"50ms"}, `unknown command "50ms" for "linkwatch status"`},
		{[]string{"--watch", "later"}, `unknown command "later" for "linkwatch status"`},
		{[]string{"--color", "yes"}, `--color "yes": must be auto, always or never`},
		{[]string{"--sort", "name"}, `--sort "name": must be state or device`},
	} {
		_, _, err := validateExec(t, append([]string{"status"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("status %s: error %v, want %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}
