package main

import "testing"

// TestOutputFlag checks that check, status and history refuse an --output
// other than table or json when the flag is parsed, before anything is
// read, with the flag's own message.
func TestOutputFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--output", "xml"}, `--output "xml": must be table or json`},
		{[]string{"status", "-o", "yaml"}, `--output "yaml": must be table or json`},
		{[]string{"history", "r1", "--output=JSON"}, `--output "JSON": must be table or json`},
		{[]string{"history", "r1", "--limit", "x"}, `invalid argument "x" for "--limit" flag: strconv.ParseInt: parsing "x": invalid syntax`},
	}
	for _, tt := range tests {
		_, _, err := validateExec(t, append(tt.args, "--config", "/nonexistent/linkwatch.yaml")...)
		if got := validateErr(err); got != tt.want {
			t.Errorf("%v: error %q, want %q", tt.args, got, tt.want)
		}
	}
	for _, cmd := range []string{"check", "status", "history"} {
		sub, _, err := newRootCmd().Find([]string{cmd})
		if err != nil {
			t.Fatal(err)
		}
		for name, short := range map[string]string{"output": "o", "config": "c"} {
			if f := sub.Flags().Lookup(name); f == nil || f.Shorthand != short {
				t.Errorf("%s: no --%s (-%s) flag", cmd, name, short)
			}
		}
		if f := sub.Flags().Lookup("output"); f != nil && f.DefValue != "table" {
			t.Errorf("%s: --output defaults to %q, want table", cmd, f.DefValue)
		}
	}
	var f outputFormat
	if err := f.Set("json"); err != nil || f != outputJSON {
		t.Errorf("Set(json) = %v, value %q; want json", err, f)
	}
}
