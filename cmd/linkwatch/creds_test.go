package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// credsConfig writes a configuration with the sites dc1 and dc2 in dir.
func credsConfig(t *testing.T, dir string) string {
	t.Helper()
	return writeFile(t, dir, "linkwatch.yaml", `
data_dir: data
credentials: { lab: { username: admin, password_env: LW_LAB_PASSWORD } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: r1, host: 127.0.0.1, site: dc1, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.1, site: dc2, targets: [10.0.0.1] }
`)
}

func TestCredsCmd(t *testing.T) {
	dir := t.TempDir()
	cfg := credsConfig(t, dir)
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

// TestCredsLeafConfigs: server-config writes a hub serving the leaf nodes
// of --leaves, and the configuration of the leaf node of --leaf, each
// loadable by nats-server, with the keys creds export hands out.
func TestCredsLeafConfigs(t *testing.T) {
	dir := t.TempDir()
	cfg := credsConfig(t, dir)
	creds := func(args ...string) string {
		t.Helper()
		out, stderr, err := runCmd(t, nil, append([]string{"creds"}, append(args, "--config", cfg)...)...)
		if err != nil {
			t.Fatalf("creds %v: %v\n%s", args, err, stderr)
		}
		return out
	}
	leafPub := strings.TrimSpace(creds("export", "--role", "leaf-dc2", "--public"))
	leafSeed := strings.TrimSpace(creds("export", "--role", "leaf-dc2"))
	workerPub := strings.TrimSpace(creds("export", "--site", "dc2", "--public"))
	hub := creds("server-config", "--leaves", "dc2")
	leaf := creds("server-config", "--leaf", "dc2", "--hub", "nats-leaf://127.0.0.1:7422", "--domain", "lab")
	if strings.Contains(hub+leaf, leafSeed) {
		t.Error("a server configuration holds the leaf node's seed")
	}

	opts, err := server.ProcessConfigFile(writeFile(t, dir, "hub.conf", hub))
	if err != nil {
		t.Fatalf("nats-server cannot load the hub's configuration: %v\n%s", err, hub)
	}
	if opts.JetStreamDomain != "hub" || opts.LeafNode.Port != 7422 {
		t.Errorf("hub: jetstream domain %q, leafnode port %d; want hub and 7422", opts.JetStreamDomain, opts.LeafNode.Port)
	}
	var leafUser *server.NkeyUser
	for _, u := range opts.Nkeys {
		if u.Nkey == leafPub {
			leafUser = u
		}
	}
	if len(opts.Nkeys) != 6 || leafUser == nil || leafUser.Account == nil || leafUser.Account.Name != "leaf-dc2" {
		t.Errorf("hub: %d users (want 6: five roles and dc2's leaf node), the leaf node's %v", len(opts.Nkeys), leafUser)
	}

	t.Setenv("LINKWATCH_SEED_LEAF_DC2", leafSeed)
	opts, err = server.ProcessConfigFile(writeFile(t, dir, "leaf.conf", leaf))
	if err != nil {
		t.Fatalf("nats-server cannot load the leaf node's configuration: %v\n%s", err, leaf)
	}
	if r := opts.LeafNode.Remotes; opts.JetStream || len(r) != 1 || r[0].Nkey != leafSeed || len(r[0].URLs) != 1 || r[0].URLs[0].Host != "127.0.0.1:7422" {
		t.Errorf("leaf node: jetstream %v, remotes %+v; want no jetstream and one remote, the hub, with the leaf's seed", opts.JetStream, r)
	}
	if len(opts.Nkeys) != 1 || opts.Nkeys[0].Nkey != workerPub ||
		!slices.Contains(opts.Nkeys[0].Permissions.Publish.Allow, "$JS.lab.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-dc2") {
		t.Errorf("leaf node: users %+v; want dc2's workers, in domain lab", opts.Nkeys)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"server-config", "--leaf", "dc9"}, `--leaf: site "dc9": no device of the configuration is at that site (sites: dc1, dc2); did you mean "dc1"?`},
		{[]string{"server-config", "--leaves", "dc1,dc9"}, `--leaves: site "dc9": no device of the configuration is at that site`},
		{[]string{"server-config", "--hub", "nats-leaf://hub:7422"}, "--hub: only with --leaf, the leaf node that dials the hub"},
		{[]string{"server-config", "--leaf", "dc2", "--hub", "http://hub"}, `--leaf: leaf configuration of site dc2: hub URL "http://hub" is not a leafnode URL`},
		{[]string{"server-config", "--leaves", "dc2", "--domain", "a.b"}, `hub configuration: jetstream domain "a.b" is not a valid name`},
		{[]string{"server-config", "--leaves", "dc2", "--leaf", "dc2"}, "if any flags in the group [leaves leaf] are set none of the others can be"},
		{[]string{"export", "--role", "leaf-dc9"}, `--role "leaf-dc9": site "dc9": no device of the configuration is at that site`},
	} {
		_, stderr, err := runCmd(t, nil, append(append([]string{"creds"}, tc.args...), "--config", cfg)...)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("creds %v: %v, stderr %q; want an error containing %q", tc.args, err, stderr, tc.want)
		}
	}
}
