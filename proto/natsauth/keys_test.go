package natsauth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/natsauth"
)

func TestKeys(t *testing.T) {
	keys := natsauth.Keys{Dir: filepath.Join(t.TempDir(), "auth")}
	roles := []proto.Role{proto.RoleScheduler, "worker-dc1", "leaf-dc1"}
	if err := keys.Ensure(roles); err != nil {
		t.Fatal(err)
	}
	pub, err := keys.PublicKey("worker-dc1")
	if err != nil || !strings.HasPrefix(pub, "U") {
		t.Fatalf("PublicKey = %q, %v; want a user key", pub, err)
	}
	for _, path := range []string{keys.Dir, keys.SeedFile("worker-dc1")} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %#o, want nothing for group and others", path, fi.Mode().Perm())
		}
	}
	// A second Ensure keeps the keys: remote workers hold copies.
	if err := keys.Ensure(append(roles, "worker-dc2")); err != nil {
		t.Fatal(err)
	}
	if again, _ := keys.PublicKey("worker-dc1"); again != pub {
		t.Error("Ensure replaced an existing key")
	}
	seed, err := keys.Seed("worker-dc1")
	if err != nil {
		t.Fatal(err)
	}
	// A site's leaf node has a key of its own.
	if leaf, err := keys.PublicKey("leaf-dc1"); err != nil || leaf == pub {
		t.Errorf("the leaf node's key: %v (the workers' own: %v)", err, leaf == pub)
	}

	tests := []struct {
		name  string
		setup func(t *testing.T)
		role  proto.Role
		want  string
	}{
		{"not a role", func(*testing.T) {}, "admin", `"admin" is not a role`},
		{"missing", func(*testing.T) {}, "worker-dc9", "no such file"},
		{"readable by others", func(t *testing.T) {
			if err := os.Chmod(keys.SeedFile(proto.RoleScheduler), 0o644); err != nil {
				t.Fatal(err)
			}
		}, proto.RoleScheduler, "is readable by group or others (mode 0644): chmod 600 it"},
		{"not a seed", func(t *testing.T) {
			if err := os.WriteFile(keys.SeedFile("worker-dc2"), []byte("hunter2 "+string(seed[:10])+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "worker-dc2", "does not hold a user seed"},
	}
	for _, tt := range tests {
		tt.setup(t)
		_, err := keys.Seed(tt.role)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Seed(%s) error %v, want %q", tt.name, tt.role, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), string(seed[:10])) || strings.Contains(err.Error(), "hunter2")) {
			t.Errorf("%s: the error shows the file's content: %v", tt.name, err)
		}
	}
	if err := os.Chmod(keys.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := keys.Ensure(roles); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("Ensure with an open directory: %v, want it refused", err)
	}
}
