package proto

import (
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
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
		{in: "leaf-dc2", want: "leaf-dc2"},
		{in: "leaf-", err: "site is empty"},
		{in: "leaf-dc2.>", err: "not a valid name"},
		{in: "admin", err: "is not a role"},
		{in: "", err: "is not a role"},
	}
	for _, tt := range tests {
		got, err := ParseRole(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRole(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			if _, perr := Role(tt.in).PermissionsIn("hub"); perr == nil {
				t.Errorf("Role(%q).PermissionsIn(hub) gave permissions to a string that is not a role", tt.in)
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

func TestPermissionsInDomain(t *testing.T) {
	worker, err := Role("worker-dc2").Permissions()
	if err != nil {
		t.Fatal(err)
	}
	// Every JetStream API and key-value subject of the worker, in the
	// domain; the rest as it is.
	want := Permissions{Subscribe: []string{"_INBOX_worker-dc2.>", "linkwatch.session.dc2.>"}}
	for _, s := range worker.Publish {
		switch {
		case strings.HasPrefix(s, "$JS.API."):
			s = "$JS.hub.API." + strings.TrimPrefix(s, "$JS.API.")
		case strings.HasPrefix(s, "$KV."):
			s = "$JS.hub.API." + s
		}
		want.Publish = append(want.Publish, s)
	}
	for _, s := range []string{"$JS.hub.API.CONSUMER.MSG.NEXT.LINKWATCH_JOBS.worker-dc2",
		"$JS.hub.API.DIRECT.GET.KV_linkwatch_hostkeys.$KV.linkwatch_hostkeys.dc2.>", "$JS.hub.API.$KV.linkwatch_logins.dc2.>",
		"$JS.ACK.LINKWATCH_JOBS.worker-dc2.>", "linkwatch.results.dc2.*"} {
		if !slices.Contains(want.Publish, s) {
			t.Fatalf("the worker in domain hub may not publish %s: %v", s, want.Publish)
		}
	}
	for _, tt := range []struct {
		role   Role
		domain string
		want   Permissions
		err    string
	}{
		{role: "worker-dc2", domain: "", want: worker},
		{role: "worker-dc2", domain: "hub", want: want},
		// A site's leaf node carries what its workers do, in the domain.
		{role: "leaf-dc2", domain: "hub", want: want},
		{role: "leaf-dc2", domain: "", err: "a leaf node reaches JetStream only in the hub's domain"},
		{role: "worker-dc2", domain: "hub.>", err: `jetstream domain "hub.>" is not a valid name`},
		{role: "leaf-", domain: "hub", err: "site is empty"},
	} {
		got, err := tt.role.PermissionsIn(tt.domain)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s.PermissionsIn(%q) = %v, %v; want error containing %q", tt.role, tt.domain, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got.Publish, tt.want.Publish) || !slices.Equal(got.Subscribe, tt.want.Subscribe) {
			t.Errorf("%s.PermissionsIn(%q) = %v, %v;\nwant %v", tt.role, tt.domain, got, err, tt.want)
		}
	}
	if _, err := Role("leaf-dc2").Permissions(); err == nil {
		t.Error("a leaf role has permissions without a domain")
	}
}

// TestOnlyNotifiersWakeMailers: the mailer wake is the notifiers' own. A
// role that could publish it could keep the leader reading the outbox; one
// that could subscribe would learn when alerts are committed.
func TestOnlyNotifiersWakeMailers(t *testing.T) {
	roles, err := Roles([]string{"dc1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(roles, "leaf-dc1") {
		p, err := r.PermissionsIn("hub")
		if err != nil {
			t.Fatal(err)
		}
		pub, sub := slices.Contains(p.Publish, MailerWake), slices.Contains(p.Subscribe, MailerWake)
		if want := r == RoleNotifier; pub != want || sub != want {
			t.Errorf("%s may publish %s: %v, subscribe: %v; want %v", r, MailerWake, pub, sub, want)
		}
		if s := covering(p, MailerWake); r != RoleNotifier && len(s) > 0 {
			t.Errorf("%s may use %q, which cover %s", r, s, MailerWake)
		}
	}
}

// covering are the subjects of p that let their holder use subject, as
// the server matches them (wildcards * and >).
func covering(p Permissions, subject string) []string {
	var out []string
	for _, s := range append(slices.Clone(p.Publish), p.Subscribe...) {
		if server.SubjectMatchesFilter(subject, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestCovering: the check above catches every wildcard that covers the
// wake subject, not only >.
func TestCovering(t *testing.T) {
	p := Permissions{
		Publish:   []string{"linkwatch.*.wake", "linkwatch.mailer.x", "linkwatch.results.>"},
		Subscribe: []string{"linkwatch.mailer.*", "linkwatch.>", ">", "*.mailer.wake", "linkwatch.*"},
	}
	want := []string{"linkwatch.*.wake", "linkwatch.mailer.*", "linkwatch.>", ">", "*.mailer.wake"}
	if got := covering(p, MailerWake); !slices.Equal(got, want) {
		t.Errorf("covering = %q, want %q", got, want)
	}
}
