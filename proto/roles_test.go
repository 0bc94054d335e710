package proto

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
		err  string
	}{
		{in: "scheduler", want: RoleScheduler},
		{in: "notifier", want: RoleNotifier},
		{in: "cli", want: RoleCLI},
		{in: "worker-dc1", want: "worker-dc1"},
		{in: "worker-", err: "site is empty"},
		{in: "worker-dc1.>", err: "not a valid name"},
		{in: "worker-*", err: "not a valid name"},
		{in: "admin", err: "is not a role"},
		{in: "", err: "is not a role"},
	}
	for _, tt := range tests {
		got, err := ParseRole(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRole(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			if _, perr := Role(tt.in).Permissions(); perr == nil {
				t.Errorf("Role(%q).Permissions() gave permissions to a string that is not a role", tt.in)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRolesInboxesAreSeparate(t *testing.T) {
	roles, err := Roles([]string{"dc2", "dc1", "dc1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Role{"cli", "notifier", "scheduler", "worker-dc1", "worker-dc2"}
	if !slices.Equal(roles, want) {
		t.Fatalf("Roles = %v, want %v", roles, want)
	}
	for _, r := range roles {
		p, err := r.Permissions()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Subscribe {
			if strings.HasPrefix(s, "_INBOX") && s != r.InboxPrefix()+".>" {
				t.Errorf("%s may subscribe to %s, another inbox than its own", r, s)
			}
			if s == ">" || strings.HasPrefix(s, "linkwatch.results") || strings.HasPrefix(s, "linkwatch.jobs") {
				t.Errorf("%s may subscribe to %s", r, s)
			}
		}
	}
}
