package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

func TestCredsCmd(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "linkwatch.yaml", `
data_dir: data
credentials: { lab: { username: admin, password_env: LW_LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: r1, host: 127.0.0.1, site: dc1, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.1, site: dc2, targets: [10.0.0.1] }
`)
	pub, stderr, err := runCmd(t, nil, "creds", "export", "--config", cfg, "--site", "dc2", "--public")
	if err != nil || !strings.HasPrefix(pub, "U") {
		t.Fatalf("creds export --public = %q, %v\n%s", pub, err, stderr)
	}
	seedFile := filepath.Join(dir, "dc2.nk")
	if _, stderr, err := runCmd(t, nil, "creds", "export", "--config", cfg, "--site", "dc2", "-o", seedFile); err != nil {
		t.Fatalf("creds export: %v\n%s", err, stderr)
	}
	fi, err := os.Stat(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := os.ReadFile(seedFile)
	if fi.Mode().Perm() != 0o600 || !strings.HasPrefix(string(seed), "SU") {
		t.Errorf("exported seed: mode %#o, starts %.2q; want 0600 and a user seed", fi.Mode().Perm(), seed)
	}

	conf, stderr, err := runCmd(t, nil, "creds", "server-config", "--config", cfg)
	if err != nil {
		t.Fatalf("creds server-config: %v\n%s", err, stderr)
	}
	if strings.Contains(conf, strings.TrimSpace(string(seed))) {
		t.Error("the server configuration holds a seed")
	}
	path := writeFile(t, dir, "nats.conf", conf)
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server cannot load the configuration: %v\n%s", err, conf)
	}
	found := false
	for _, u := range opts.Nkeys {
		found = found || u.Nkey == strings.TrimSpace(pub)
	}
	if len(opts.Nkeys) != 5 || !found {
		t.Errorf("server configuration admits %d users (want 5: cli, notifier, scheduler, worker-dc1, worker-dc2), dc2's key among them: %v",
			len(opts.Nkeys), found)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--site", "dc9"}, `--site "dc9": no device of the configuration is at that site (sites: dc1, dc2)`},
		{[]string{"--role", "worker-dc9"}, `--role "worker-dc9": not a role of this configuration`},
		{[]string{"--role", "admin"}, `"admin" is not a role`},
		{[]string{"--site", "dc1", "-o", seedFile}, "dc2.nk exists: it is not overwritten"},
		{nil, "at least one of the flags in the group [site role] is required"},
	} {
		_, stderr, err := runCmd(t, nil, append([]string{"creds", "export", "--config", cfg}, tc.args...)...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("creds export %v: %v, stderr %q; want an error containing %q", tc.args, err, stderr, tc.want)
		}
	}
}
