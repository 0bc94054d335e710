package ping

import (
	"strings"
	"testing"
	"time"
)

func TestCommand(t *testing.T) {
	base := Params{Target: "10.0.0.1", Count: 5, Timeout: 2 * time.Second}
	full := Params{Target: "10.0.0.1", Count: 100, Timeout: 1 * time.Second, Size: 1400, Source: "Loopback0", VRF: "MGMT"}
	addr := Params{Target: "192.0.2.9", Count: 3, Timeout: 5 * time.Second, Source: "192.0.2.1", VRF: "blue"}
	v6 := Params{Target: "2001:db8::1", Count: 5, Timeout: 2 * time.Second, VRF: "management"}
	tests := []struct {
		platform string
		p        Params
		want     string
	}{
		{"cisco_iosxe", base, "ping 10.0.0.1 repeat 5 timeout 2"},
		{"cisco_ios", base, "ping 10.0.0.1 repeat 5 timeout 2"},
		{"cisco_iosxe", full, "ping vrf MGMT 10.0.0.1 repeat 100 timeout 1 size 1400 source Loopback0"},
		{"cisco_iosxe", addr, "ping vrf blue 192.0.2.9 repeat 3 timeout 5 source 192.0.2.1"},
		{"cisco_iosxr", base, "ping 10.0.0.1 count 5 timeout 2"},
		{"cisco_iosxr", full, "ping vrf MGMT 10.0.0.1 count 100 timeout 1 size 1400 source Loopback0"},
		{"cisco_iosxr", v6, "ping vrf management 2001:db8::1 count 5 timeout 2"},
		{"cisco_nxos", base, "ping 10.0.0.1 count 5 timeout 2"},
		{"cisco_nxos", full, "ping 10.0.0.1 count 100 timeout 1 packet-size 1400 source-interface Loopback0 vrf MGMT"},
		{"cisco_nxos", addr, "ping 192.0.2.9 count 3 timeout 5 source 192.0.2.1 vrf blue"},
		{"cisco_nxos", v6, "ping6 2001:db8::1 count 5 timeout 2 vrf management"},
		{"arista_eos", base, "ping 10.0.0.1 repeat 5 timeout 2"},
		{"arista_eos", full, "ping vrf MGMT 10.0.0.1 repeat 100 timeout 1 size 1400 source Loopback0"},
		{"arista_eos", addr, "ping vrf blue 192.0.2.9 repeat 3 timeout 5 source 192.0.2.1"},
		{"juniper_junos", base, "ping 10.0.0.1 count 5 wait 2"},
		{"juniper_junos", full, "ping 10.0.0.1 count 100 wait 1 size 1400 interface Loopback0 routing-instance MGMT"},
		{"juniper_junos", addr, "ping 192.0.2.9 count 3 wait 5 source 192.0.2.1 routing-instance blue"},
		{"juniper_junos", Params{Target: "core1.example.net", Count: 1, Timeout: time.Second, Source: "ge-0/0/0.0"},
			"ping core1.example.net count 1 wait 1 interface ge-0/0/0.0"},
	}
	for _, tt := range tests {
		got, err := Command(tt.platform, tt.p)
		if err != nil {
			t.Errorf("Command(%s, %+v): %v", tt.platform, tt.p, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Command(%s, %+v)\n got %q\nwant %q", tt.platform, tt.p, got, tt.want)
		}
	}
}

func TestCommandRejects(t *testing.T) {
	ok := Params{Target: "10.0.0.1", Count: 5, Timeout: 2 * time.Second}
	with := func(f func(p *Params)) Params { p := ok; f(&p); return p }
	tests := []struct {
		name string
		p    Params
		want string // substring of the error
	}{
		{"newline in target", with(func(p *Params) { p.Target = "10.0.0.1\nreload" }), "ping target:"},
		{"semicolon in target", with(func(p *Params) { p.Target = "10.0.0.1; reload" }), "ping target:"},
		{"option in target", with(func(p *Params) { p.Target = "10.0.0.1 repeat 100000" }), "ping target:"},
		{"empty target", with(func(p *Params) { p.Target = "" }), "ping target: is empty"},
		{"space in vrf", with(func(p *Params) { p.VRF = "MGMT source Lo0" }), "ping vrf:"},
		{"newline in vrf", with(func(p *Params) { p.VRF = "MGMT\nreload" }), "ping vrf:"},
		{"space in source", with(func(p *Params) { p.Source = "Loopback0 repeat 9" }), "ping source:"},
		{"pipe in source", with(func(p *Params) { p.Source = "Lo0|include" }), "ping source:"},
		{"count zero", with(func(p *Params) { p.Count = 0 }), "ping count: 0 is out of range 1..1000"},
		{"count too big", with(func(p *Params) { p.Count = 1001 }), "ping count: 1001"},
		{"timeout zero", with(func(p *Params) { p.Timeout = 0 }), "ping timeout:"},
		{"timeout fraction", with(func(p *Params) { p.Timeout = 1500 * time.Millisecond }), "ping timeout: 1.5s"},
		{"timeout too long", with(func(p *Params) { p.Timeout = 61 * time.Second }), "ping timeout: 1m1s"},
		{"size too small", with(func(p *Params) { p.Size = 35 }), "ping size: 35"},
		{"size too big", with(func(p *Params) { p.Size = 18025 }), "ping size: 18025"},
		{"negative size", with(func(p *Params) { p.Size = -1 }), "ping size: -1"},
	}
	for _, tt := range tests {
		for _, platform := range Platforms() {
			got, err := Command(platform, tt.p)
			if err == nil {
				t.Errorf("%s on %s: Command = %q, want error", tt.name, platform, got)
				continue
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s on %s: error %q does not contain %q", tt.name, platform, err, tt.want)
			}
		}
	}
	if _, err := Command("cisco_asa", ok); err == nil || !strings.Contains(err.Error(), "known: arista_eos") {
		t.Errorf("unknown platform: err = %v", err)
	}
}

func TestCommandEdges(t *testing.T) {
	for _, p := range []Params{
		{Target: "10.0.0.1", Count: 1, Timeout: time.Second, Size: 36},
		{Target: "10.0.0.1", Count: 1000, Timeout: 60 * time.Second, Size: 18024},
	} {
		for _, platform := range Platforms() {
			cmd, err := Command(platform, p)
			if err != nil {
				t.Errorf("%s %+v: %v", platform, p, err)
			}
			if strings.ContainsAny(cmd, "\r\n;|") {
				t.Errorf("%s: command %q is not one plain line", platform, cmd)
			}
		}
	}
}

func TestBudget(t *testing.T) {
	tests := []struct {
		p    Params
		want time.Duration
	}{
		{Params{Count: 5, Timeout: 2 * time.Second}, 16 * time.Second},
		{Params{Count: 1000, Timeout: 60 * time.Second}, 66005 * time.Second},
		{Params{Count: 1, Timeout: time.Second}, 6100 * time.Millisecond},
	}
	for _, tt := range tests {
		got := tt.p.Budget()
		if got != tt.want {
			t.Errorf("Budget(%d × %s) = %s, want %s", tt.p.Count, tt.p.Timeout, got, tt.want)
		}
		// JunOS sends one probe a second and waits Timeout after the last.
		if junos := time.Duration(tt.p.Count-1)*time.Second + tt.p.Timeout; got <= junos {
			t.Errorf("Budget %s does not cover JunOS's %s", got, junos)
		}
	}
}
