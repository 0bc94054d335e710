package main

import (
	"path/filepath"
	"testing"
)

// TestUnknownSite checks that a site the inventory does not have stops a
// command before it connects to anything, naming the known sites and the
// closest one.
func TestUnknownSite(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "linkwatch.yaml")
	validateWrite(t, cfg, `data_dir: data
nats: { url: "nats://127.0.0.1:1" }
credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: r1, host: 127.0.0.1, site: dc1, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.1, site: lon-2, targets: [10.0.0.1] }
`)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"worker", "-c", cfg, "--site", "DC1"},
			`--site "DC1": no device of the configuration is at that site (sites: dc1, lon-2); did you mean "dc1"?`},
		{[]string{"worker", "-c", cfg, "--site", "paris"},
			`--site "paris": no device of the configuration is at that site (sites: dc1, lon-2)`},
		{[]string{"run", "-c", cfg, "--sites", "dc1,lon_2"},
			`--sites "lon_2": no device of the configuration is at that site (sites: dc1, lon-2); did you mean "lon-2"?`},
	}
	for _, tt := range tests {
		t.Run(tt.args[0]+" "+tt.args[len(tt.args)-1], func(t *testing.T) {
			_, _, err := validateExec(t, tt.args...)
			if got := validateErr(err); got != tt.want {
				t.Errorf("error = %q\nwant    %q", got, tt.want)
			}
		})
	}
}
