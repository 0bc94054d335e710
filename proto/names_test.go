package proto

import (
	"strings"
	"testing"
)

// injections are targets and sources an attacker writes to reach a router's
// CLI through netip.ParseAddr's free-text IPv6 zone, a second line, an extra
// option or a character that only looks like an allowed one.
var injections = []string{
	"fe80::1%x\nconfigure terminal\nhostname PWNED\nend",
	"fe80::1%x\rconfigure terminal\rhostname PWNED\rend",
	"fe80::1%eth0 repeat 100000",
	"fe80::1%Gi0/0",
	"fe80::1%eth0",
	"fe80::1%25eth0",
	"fe80::1%",
	"::ffff:10.0.0.1%eth0",
	"10.0.0.1\nreload",
	"10.0.0.1\r\nreload",
	"10.0.0.1 repeat 100000",
	"Lo0 repeat 5",
	"10.0.0.1\x00",
	"Loopback0\x00reload",
	"10.0.0.1\treload",
	"Loopback0\t",
	"10.0.0.1\u00a0repeat\u00a05", // non-breaking space
	"Loopback0\u00a0",
	"10.0.0.1\u200b",         // zero-width space
	"\uff11\uff10.0.0.1",     // fullwidth digits
	"Loopback\uff10",         // fullwidth 0
	"c\u043ere1.example.net", // Cyrillic o
	"10.0.0.1;reload",
	"Lo0;reload",
	"10.0.0.1\uff1breload", // fullwidth semicolon
	"10.0.0.1|include x",
	"Lo0|include",
	"-f",
	"a" + strings.Repeat(".a", 200),
	"L" + strings.Repeat("0", 64),
	strings.Repeat("a", 100000),
}

func TestTargetAndSourceRefuseInjection(t *testing.T) {
	for _, s := range injections {
		if err := ValidTarget(s); err == nil {
			t.Errorf("ValidTarget(%q) = nil, want an error", s)
		}
		if err := ValidSource(s); err == nil {
			t.Errorf("ValidSource(%q) = nil, want an error", s)
		}
		if err := ValidVRF(s); err == nil {
			t.Errorf("ValidVRF(%q) = nil, want an error", s)
		}
	}
}

func TestZoneErrors(t *testing.T) {
	tests := []struct {
		valid func(string) error
		in    string
		want  string
	}{
		{ValidTarget, "fe80::1%x\nconfigure terminal\nhostname PWNED\nend",
			`"fe80::1%x\nconfigure terminal\nhostname PWNED\nend" is not an IP address or host name (IPv6 zones are not allowed: give the interface as the ping source)`},
		{ValidTarget, "fe80::1%eth0 repeat 100000",
			`"fe80::1%eth0 repeat 100000" is not an IP address or host name (IPv6 zones are not allowed: give the interface as the ping source)`},
		{ValidTarget, "10.0.0.1%eth0", `"10.0.0.1%eth0" is not an IP address or host name`},
		{ValidSource, "fe80::1%Gi0/0",
			`"fe80::1%Gi0/0" is not an interface name or IP address (IPv6 zones are not allowed: give the interface itself as the source)`},
		{ValidSource, "Lo0\nreload", `"Lo0\nreload" is not an interface name or IP address`},
		{ValidCommandToken, "", "is empty"},
		{ValidCommandToken, "a b", `"a b" is not a command word (letters, digits, '_', '.', '/', ':', '-', at most 255, not starting with '-')`},
	}
	for _, tt := range tests {
		err := tt.valid(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestTargetAndSourceAccept(t *testing.T) {
	targets := []string{"10.0.0.1", "2001:db8::1", "2001:DB8:0::1", "::", "::1", "::ffff:10.0.0.1",
		"fe80::1", "core1.example.net", "core1.example.net.", "r1", "a" + strings.Repeat(".a", 126)}
	for _, s := range targets {
		if err := ValidTarget(s); err != nil {
			t.Errorf("ValidTarget(%q): %v", s, err)
		}
		if err := ValidCommandToken(s); err != nil {
			t.Errorf("ValidCommandToken(%q): %v", s, err)
		}
	}
	sources := []string{"", "Loopback0", "GigabitEthernet0/0/0.100", "ge-0/0/0.0", "mgmt0", "192.0.2.1", "2001:db8::2"}
	for _, s := range sources {
		if err := ValidSource(s); err != nil {
			t.Errorf("ValidSource(%q): %v", s, err)
		}
	}
}

func TestValidCommandToken(t *testing.T) {
	good := []string{"ping", "ping6", "packet-size", "routing-instance", "10.0.0.1", "::1", "ge-0/0/0.0",
		"a_b", "/", strings.Repeat("a", MaxCommandToken)}
	for _, s := range good {
		if err := ValidCommandToken(s); err != nil {
			t.Errorf("ValidCommandToken(%q): %v", s, err)
		}
	}
	bad := []string{"", " ", "a b", "a\n", "\n", "a\r", "a\t", "a\x00", "a\x7f", "a%b", "a;b", "a|b",
		"a?", "a'b", `a"b`, "a\\b", "a#b", "a!b", "a$b", "a*b", "-a", "--a", "é", "a\u00a0b",
		strings.Repeat("a", MaxCommandToken+1), strings.Repeat("a", 100000),
		"fe80::1%x\nconfigure terminal\nhostname PWNED\nend", "fe80::1%eth0 repeat 100000", "fe80::1%Gi0/0",
		"\uff11\uff10.0.0.1", "10.0.0.1\uff1breload", "c\u043ere1.example.net"}
	for _, s := range bad {
		if err := ValidCommandToken(s); err == nil {
			t.Errorf("ValidCommandToken(%q) = nil, want an error", s)
		}
	}
}

// FuzzNames checks that whatever ValidTarget, ValidVRF or ValidSource accept
// is one command word.
func FuzzNames(f *testing.F) {
	for _, s := range injections {
		f.Add(s)
	}
	for _, s := range []string{"10.0.0.1", "2001:db8::1", "::ffff:1.2.3.4", "core1.example.net.", "Loopback0", "MGMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, valid := range map[string]func(string) error{"target": ValidTarget, "vrf": ValidVRF, "source": ValidSource} {
			if s != "" && valid(s) == nil {
				if err := ValidCommandToken(s); err != nil {
					t.Fatalf("%s %q is valid but not one command word: %v", name, s, err)
				}
			}
		}
	})
}

func TestValidPingTarget(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" accepts; else a substring of the error
	}{
		{"10.0.0.1", ""},
		{"2001:db8::1", ""},
		{"core1.example.net", ""},
		{"core1.example.net.", ""},
		{"vrf", "single-word host name"},
		{"rep", "single-word host name"},
		{"ip", "single-word host name"},
		{"core1", "single-word host name"},
		{"core1.", "single-word host name"},
		{"fe80::1%eth0", "IPv6 zones are not allowed"},
		{"10.0.0.1 repeat 5", "is not an IP address or host name"},
	}
	for _, tt := range tests {
		err := ValidPingTarget(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ValidPingTarget(%q) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ValidPingTarget(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}
