package config

import (
	"strings"
	"testing"
)

// revisionOf is the revision of site in the configuration yaml.
func revisionOf(t *testing.T, yaml, site string) string {
	t.Helper()
	cfg, err := Parse("linkwatch.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Revision(site)
}

// revisionCase is a configuration, and whether the revision of one of its
// sites differs from that site's in a base configuration.
type revisionCase struct {
	name   string
	yaml   string
	site   string
	change bool
}

// testRevisionChanges checks each case against base.
func testRevisionChanges(t *testing.T, base string, cases []revisionCase) {
	t.Helper()
	for _, tt := range cases {
		if changed := revisionOf(t, tt.yaml, tt.site) != revisionOf(t, base, tt.site); changed != tt.change {
			t.Errorf("%s: revision of site %s changed = %v, want %v", tt.name, tt.site, changed, tt.change)
		}
	}
}

func TestRevision(t *testing.T) {
	const base = head + `  - { name: r1, host: 127.0.0.1, site: a, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.2, site: a, targets: [10.0.0.2] }
  - { name: r3, host: 127.0.0.3, site: b, targets: [10.0.0.3] }
`
	a, b := revisionOf(t, base, "a"), revisionOf(t, base, "b")
	if a == b || len(a) != 16 {
		t.Fatalf("revisions of sites a and b: %q, %q; want two different 16-digit digests", a, b)
	}
	testRevisionChanges(t, base, []revisionCase{
		{"same file", base, "a", false},
		{"devices reordered", head + `  - { name: r2, host: 127.0.0.2, site: a, targets: [10.0.0.2] }
  - { name: r3, host: 127.0.0.3, site: b, targets: [10.0.0.3] }
  - { name: r1, host: 127.0.0.1, site: a, targets: [10.0.0.1] }
`, "a", false},
		{"other site changed", base + "  - { name: r4, host: 127.0.0.4, site: b, targets: [10.0.0.4] }\n", "a", false},
		{"host changed", head + `  - { name: r1, host: 127.0.0.9, site: a, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.2, site: a, targets: [10.0.0.2] }
`, "a", true},
		{"target added", head + `  - { name: r1, host: 127.0.0.1, site: a, targets: [10.0.0.1, 10.0.0.9] }
  - { name: r2, host: 127.0.0.2, site: a, targets: [10.0.0.2] }
`, "a", true},
		{"ping count changed", head + `  - { name: r1, host: 127.0.0.1, site: a, targets: [10.0.0.1], ping: { count: 9 } }
  - { name: r2, host: 127.0.0.2, site: a, targets: [10.0.0.2] }
`, "a", true},
		{"device added", base + "  - { name: r4, host: 127.0.0.4, site: a, targets: [10.0.0.4] }\n", "a", true},
	})
}

// TestSSHDefaultsAndOverride: a device without an ssh section takes the
// defaults'; one with its own replaces them; both count in the revision.
func TestSSHDefaultsAndOverride(t *testing.T) {
	const yaml = `defaults: { platform: cisco_iosxe, credentials: lab, ssh: { legacy: true } }
credentials: { lab: { username: a, password_env: P } }
devices:
  - { name: r1, host: 127.0.0.1, targets: [10.0.0.1] }
  - { name: r2, host: 127.0.0.2, targets: [10.0.0.1], ssh: { ciphers: [aes128-cbc] } }
`
	cfg, err := Parse("linkwatch.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Devices[0].SSH; !s.Legacy || len(s.Ciphers) != 0 {
		t.Errorf("r1 ssh = %+v, want the defaults' legacy: true", s)
	}
	if s := cfg.Devices[1].SSH; s.Legacy || len(s.Ciphers) != 1 || s.Ciphers[0] != "aes128-cbc" {
		t.Errorf("r2 ssh = %+v, want its own ciphers only", s)
	}
	plain, err := Parse("linkwatch.yaml", []byte(strings.Replace(yaml, ", ssh: { legacy: true }", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Revision("default") == cfg.Revision("default") {
		t.Error("allowing legacy algorithms did not change the inventory revision")
	}
}
