package ping

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto"
)

// payloads are values an attacker puts in a target, VRF or source to reach
// the device's CLI: a second command, an extra ping option, or characters a
// terminal or CLI treats specially. None is a single command word.
var payloads = []string{
	"fe80::1%x\nconfigure terminal\nhostname PWNED\nend",
	"fe80::1%x\rconfigure terminal\rhostname PWNED\rend",
	"fe80::1%eth0 repeat 100000",
	"fe80::1%Gi0/0",
	"fe80::1%eth0",
	"fe80::1%",
	"fe80::1%25eth0",
	"10.0.0.1\nreload",
	"10.0.0.1\r\nreload",
	"10.0.0.1\rreload",
	"10.0.0.1 repeat 100000",
	"10.0.0.1\x00reload",
	"10.0.0.1\treload",
	"10.0.0.1\x1b[2K",
	"10.0.0.1\x7f",
	"10.0.0.1\u00a0repeat\u00a0100000", // non-breaking spaces
	"10.0.0.1\u3000repeat",             // ideographic space
	"10.0.0.1\u200brepeat",             // zero-width space
	"\uff11\uff10.0.0.1",               // fullwidth digits
	"core1\uff0eexample.net",           // fullwidth full stop
	"c\u043ere1.example.net",           // Cyrillic o
	"10.0.0.1;reload",
	"10.0.0.1\uff1breload", // fullwidth semicolon
	"10.0.0.1|include x",
	"10.0.0.1|reload",
	"Lo0|include",
	"$(reload)",
	"`reload`",
	"\"10.0.0.1\"",
	"10.0.0.1?",
	"-f",
	"10.0.0.1 " + strings.Repeat("repeat 100000 ", 1000),
	strings.Repeat("a", 100000),
	strings.Repeat("a.", 200) + "\nreload",
	"",
}

// valid are Params every platform must accept.
var valid = Params{Target: "10.0.0.1", Count: 5, Timeout: 2 * time.Second}

// allPlatforms is every name Command accepts, aliases included.
func allPlatforms() []string { return Names() }

// injected returns valid with the payload s in the field named.
func injected(field, s string) Params {
	p := valid
	switch field {
	case "target":
		p.Target = s
	case "vrf":
		p.VRF = s
	case "source":
		p.Source = s
	}
	return p
}

func TestCommandRefusesInjection(t *testing.T) {
	for _, field := range []string{"target", "vrf", "source"} {
		for _, s := range payloads {
			if s == "" && field != "target" {
				continue // an empty VRF or source leaves the option out
			}
			p := injected(field, s)
			for _, platform := range allPlatforms() {
				got, err := Command(platform, p)
				if err == nil || got != "" {
					t.Errorf("Command(%s) with %s %q = %q, %v; want an error and no line", platform, field, s, got, err)
				} else if want := "ping " + field + ":"; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("Command(%s) with %s %q: error %q, want prefix %q", platform, field, s, err, want)
				}
			}
			if err := p.Validate(); err == nil {
				t.Errorf("Validate with %s %q: no error", field, s)
			}
		}
	}
}

// TestBuildersRefuseInjection calls each platform's builder directly with
// Params that never went through Validate: the builder is the last line of
// defence and must refuse them by itself.
func TestBuildersRefuseInjection(t *testing.T) {
	for _, field := range []string{"target", "vrf", "source"} {
		for _, s := range payloads {
			if s == "" && field != "target" {
				continue
			}
			p := injected(field, s)
			for _, pl := range platforms {
				name := pl.Name
				got, err := pl.command(p)
				if err == nil || got != "" {
					t.Errorf("%s builder with %s %q = %q, %v; want an error and no line", name, field, s, got, err)
				} else if want := name + " ping command: "; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("%s builder with %s %q: error %q, want prefix %q", name, field, s, err, want)
				}
			}
		}
	}
}

// TestLineChecksStructure builds lines no platform builder builds today and
// checks that line refuses each: the check is on the line's structure, not
// on the builders being right.
func TestLineChecksStructure(t *testing.T) {
	p := Params{Target: "10.0.0.1", Count: 5, Timeout: 2 * time.Second, VRF: "MGMT", Source: "Loopback0"}
	base := func() words { return iosxeSyntax.words(p).add("vrf", p.VRF).target(p.Target) }
	full := func(w words) words {
		return w.add("repeat", "5").add("timeout", "2").add("source", p.Source)
	}
	tests := []struct {
		name string
		w    words
		want string
	}{
		{"unknown keyword", full(base()).add("count", "5"), `cisco_iosxe ping command: "count" is not one of its keywords`},
		{"keyword of another platform", full(base()).add("routing-instance", "MGMT"), `"routing-instance" is not one of its keywords`},
		{"value from another field", base().add("repeat", "5").add("timeout", "2").add("source", p.VRF), `source "MGMT" is not the source "Loopback0"`},
		{"field twice", full(base()).add("vrf", "MGMT"), "vrf given twice"},
		{"field left out", base().add("repeat", "5").add("timeout", "2"), `source "Loopback0" left out`},
		{"required field left out", iosxeSyntax.words(p).target(p.Target), `vrf "MGMT" left out`},
		{"no target", iosxeSyntax.words(p).add("vrf", "MGMT"), "0 targets, want 1"},
		{"two targets", full(base()).target(p.Target), "2 targets, want 1"},
		{"other target", iosxeSyntax.words(p).add("vrf", "MGMT").target("10.0.0.2"), `target "10.0.0.2" is not the target "10.0.0.1"`},
		{"option in a keyword", full(base()).add("size 1400 repeat", "5"), `"size 1400 repeat" is not one of its keywords`},
	}
	for _, tt := range tests {
		got, err := tt.w.line()
		if err == nil || got != "" {
			t.Errorf("%s: line() = %q, %v; want an error", tt.name, got, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.want)
		}
	}
	if got, err := full(base()).line(); err != nil || got != "ping vrf MGMT 10.0.0.1 repeat 5 timeout 2 source Loopback0" {
		t.Errorf("well-formed line = %q, %v", got, err)
	}
}

// TestSyntaxKeywordsAreTokens ties every platform's keyword set to the token
// grammar and to the Params fields.
func TestSyntaxKeywordsAreTokens(t *testing.T) {
	for _, s := range []syntax{iosxeSyntax, iosxrSyntax, nxosSyntax, eosSyntax, junosSyntax} {
		covered := map[field]bool{}
		for kw, f := range s.keywords {
			if err := proto.ValidCommandToken(kw); err != nil {
				t.Errorf("%s keyword: %v", s.name, err)
			}
			covered[f] = true
		}
		if len(covered) != int(numFields) {
			t.Errorf("%s: keywords cover %d of %d Params fields", s.name, len(covered), numFields)
		}
		if pl, err := Lookup(s.name); err != nil || pl.Name != s.name {
			t.Errorf("syntax %s is not a registered platform", s.name)
		}
	}
}

// wantTokens is the command line for p on platform, word by word, written
// out from each platform's documented syntax independently of the builders.
func wantTokens(platform string, p Params) []string {
	isAddr := func(s string) bool { _, err := netip.ParseAddr(s); return err == nil }
	opt := func(kw, v string) []string {
		if v == "" {
			return nil
		}
		return []string{kw, v}
	}
	size := ""
	if p.Size != 0 {
		size = strconv.Itoa(p.Size)
	}
	count := strconv.Itoa(p.Count)
	secs := strconv.Itoa(int(p.Timeout / time.Second))
	var out []string
	add := func(ts ...[]string) {
		for _, t := range ts {
			out = append(out, t...)
		}
	}
	switch platform {
	case "cisco_iosxe", "cisco_ios", "arista_eos":
		add([]string{"ping"}, opt("vrf", p.VRF), []string{p.Target, "repeat", count, "timeout", secs},
			opt("size", size), opt("source", p.Source))
	case "cisco_iosxr":
		add([]string{"ping"}, opt("vrf", p.VRF), []string{p.Target, "count", count, "timeout", secs},
			opt("size", size), opt("source", p.Source))
	case "cisco_nxos":
		verb := "ping"
		if a, err := netip.ParseAddr(p.Target); err == nil && a.Is6() {
			verb = "ping6"
		}
		src := "source-interface"
		if isAddr(p.Source) {
			src = "source"
		}
		add([]string{verb, p.Target, "count", count, "timeout", secs}, opt("packet-size", size),
			opt(src, p.Source), opt("vrf", p.VRF))
	case "juniper_junos":
		src := "interface"
		if isAddr(p.Source) {
			src = "source"
		}
		add([]string{"ping", p.Target, "count", count, "wait", secs}, opt("size", size),
			opt(src, p.Source), opt("routing-instance", p.VRF))
	default:
		panic("no syntax for " + platform)
	}
	return out
}

// checkLine checks that line is exactly want, word for word, and that every
// word is one printable ASCII command token.
func checkLine(t *testing.T, what, line string, want []string) {
	t.Helper()
	got := strings.Fields(line)
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") || line != strings.Join(want, " ") {
		t.Fatalf("%s = %q\nwant words %q", what, line, want)
	}
	for _, tok := range got {
		if err := proto.ValidCommandToken(tok); err != nil {
			t.Fatalf("%s = %q: word %v", what, line, err)
		}
	}
	for i := 0; i < len(line); i++ {
		if line[i] < ' ' || line[i] > '~' {
			t.Fatalf("%s = %q: byte %#x at %d", what, line, line[i], i)
		}
	}
}

func TestWantTokensMatchesTestCommand(t *testing.T) {
	// wantTokens must agree with the golden lines of TestCommand, or the
	// fuzz test below checks against the wrong model.
	full := Params{Target: "2001:db8::1", Count: 100, Timeout: time.Second, Size: 1400, Source: "Loopback0", VRF: "MGMT"}
	for _, platform := range allPlatforms() {
		for _, p := range []Params{valid, full, {Target: "192.0.2.9", Count: 3, Timeout: 5 * time.Second, Source: "192.0.2.1", VRF: "blue"}} {
			line, err := Command(platform, p)
			if err != nil {
				t.Fatalf("Command(%s, %+v): %v", platform, p, err)
			}
			checkLine(t, "Command("+platform+")", line, wantTokens(platform, p))
		}
	}
}

// FuzzCommand builds commands from arbitrary Params on every platform. When
// Command succeeds its line must be exactly the words the platform's syntax
// gives for those Params, each one printable ASCII command token. The
// builders, called without Validate, must either refuse or hold to the same.
func FuzzCommand(f *testing.F) {
	for _, s := range payloads {
		f.Add(s, "", "", 5, 2, 0)
		f.Add("10.0.0.1", s, "", 5, 2, 0)
		f.Add("10.0.0.1", "", s, 5, 2, 0)
	}
	f.Add("10.0.0.1", "MGMT", "Loopback0", 100, 1, 1400)
	f.Add("2001:db8::1", "management", "2001:db8::2", 1, 60, 18024)
	f.Add("::ffff:10.0.0.1", "a:b", "ge-0/0/0.0", 1000, 1, 36)
	f.Add("core1.example.net.", "vrf", "source", 0, 0, -1)
	f.Fuzz(func(t *testing.T, target, vrf, source string, count, timeout, size int) {
		p := Params{Target: target, VRF: vrf, Source: source, Count: count,
			Timeout: time.Duration(timeout) * time.Second, Size: size}
		valid := p.Validate() == nil
		for _, platform := range allPlatforms() {
			line, err := Command(platform, p)
			if valid != (err == nil) {
				t.Fatalf("Command(%s, %+v): valid %v, error %v", platform, p, valid, err)
			}
			if err == nil {
				checkLine(t, "Command("+platform+")", line, wantTokens(platform, p))
			} else if line != "" {
				t.Fatalf("Command(%s) returned %q with error %v", platform, line, err)
			}
		}
		for _, pl := range platforms {
			name := pl.Name
			line, err := pl.command(p)
			if err == nil {
				checkLine(t, name+" builder", line, wantTokens(name, p))
			} else if line != "" {
				t.Fatalf("%s builder returned %q with error %v", name, line, err)
			}
		}
	})
}

// TestCommandRefusesKeywordTargets: a target that is a single word would
// stand where the CLI expects keywords: `ping vrf repeat 5 timeout 2` pings
// host 5 in VRF "repeat" on IOS.
func TestCommandRefusesKeywordTargets(t *testing.T) {
	for _, target := range []string{"vrf", "repeat", "count", "source", "routing-instance", "ip", "rep", "core1"} {
		for _, platform := range Platforms() {
			p := Params{Target: target, Count: 5, Timeout: 2 * time.Second}
			if line, err := Command(platform, p); err == nil {
				t.Errorf("Command(%s, target %q) = %q, want an error", platform, target, line)
			}
		}
	}
}
