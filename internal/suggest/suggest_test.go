package suggest

import "testing"

func TestClosest(t *testing.T) {
	platforms := []string{"arista_eos", "cisco_ios", "cisco_iosxe", "cisco_iosxr", "cisco_nxos", "juniper_junos"}
	keys := []string{"name", "host", "port", "platform", "site", "credentials", "targets"}
	tests := []struct {
		name  string
		known []string
		want  string // "" for no suggestion
	}{
		{"platfrom", keys, "platform"},
		{"platforms", keys, "platform"},
		{"Host", keys, "host"},
		{"credential", keys, "credentials"},
		{"target", keys, "targets"},
		{"colour", keys, ""},
		{"", keys, ""},
		{"cisco-iosxe", platforms, "cisco_iosxe"},
		{"cisco_iosx", platforms, "cisco_ios"}, // as close as cisco_iosxe, and first,
		{"junos", platforms, "juniper_junos"},
		{"ios", platforms, "cisco_ios"},
		{"eos", platforms, "arista_eos"},
		{"nxos", platforms, "cisco_nxos"},
		{"cisco_asa", platforms, ""},
		{"mikrotik", platforms, ""},
		{"dc9", []string{"dc1", "dc2"}, "dc1"},
		{"DC1", []string{"dc1", "dc2"}, "dc1"},
		{"lon", []string{"dc1", "dc2"}, ""},
	}
	for _, tt := range tests {
		got, ok := Closest(tt.name, tt.known)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Closest(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestHint(t *testing.T) {
	if got, want := Hint("platfrom", []string{"platform"}), `; did you mean "platform"?`; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got := Hint("zzz", []string{"platform"}); got != "" {
		t.Errorf("Hint = %q, want none", got)
	}
}

func TestClosestLongNames(t *testing.T) {
	long := string(make([]byte, 1<<20))
	if _, ok := Closest(long, []string{"a"}); ok {
		t.Error("a megabyte name got a suggestion")
	}
	if _, ok := Closest("abc", []string{long}); ok {
		t.Error("a megabyte known name was suggested")
	}
}
