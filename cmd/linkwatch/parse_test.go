package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// pingTestdata holds the ping package's samples, one folder per platform.
const pingTestdata = "../../worker/ping/testdata"

// parseExec runs the root command with args and stdin, returning what it
// printed and its error.
func parseExec(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestParseCmd(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"file drop", []string{"parse", "--platform", "cisco_iosxe", filepath.Join(pingTestdata, "cisco_iosxe", "drop.txt")}, "",
			`{"status":"DROP","sent":5,"received":3,"success_percent":60,"rtt_min_ms":1,"rtt_avg_ms":2,"rtt_max_ms":4}`},
		{"file error", []string{"parse", "--platform=arista_eos", filepath.Join(pingTestdata, "arista_eos", "unknown_host.txt")}, "",
			`{"status":"ERROR","sent":0,"received":0,"success_percent":0,"error":"ping: unknown host nosuchhost"}`},
		{"stdin dash", []string{"parse", "--platform", "cisco_iosxr", "-"},
			"Type escape sequence to abort.\r\nSending 5, 100-byte ICMP Echos to 10.0.0.1, timeout is 2 seconds:\r\n.....\r\nSuccess rate is 0 percent (0/5)\r\n",
			`{"status":"DOWN","sent":5,"received":0,"success_percent":0}`},
		{"stdin no arg, alias", []string{"parse", "--platform", "cisco_ios"},
			"Success rate is 100 percent (5/5), round-trip min/avg/max = 1/1/1 ms",
			`{"status":"UP","sent":5,"received":5,"success_percent":100,"rtt_min_ms":1,"rtt_avg_ms":1,"rtt_max_ms":1}`},
		{"empty stdin", []string{"parse", "--platform", "juniper_junos"}, "",
			`{"status":"ERROR","sent":0,"received":0,"success_percent":0,"error":"empty output"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := parseExec(t, tt.stdin, tt.args...)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if out != tt.want+"\n" {
				t.Errorf("printed %q, want %q", out, tt.want+"\n")
			}
		})
	}
}

// TestParseCmdMatchesPackage runs the command over every sample in the ping
// package's testdata and checks it prints exactly what ping.Parse returns.
func TestParseCmdMatchesPackage(t *testing.T) {
	for _, platform := range ping.Platforms() {
		files, err := filepath.Glob(filepath.Join(pingTestdata, platform, "*.txt"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no samples for %s in %s: %v", platform, pingTestdata, err)
		}
		for _, file := range files {
			out, err := parseExec(t, "", "parse", "--platform", platform, file)
			if err != nil {
				t.Errorf("%s: %v", file, err)
				continue
			}
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := ping.Parse(platform, string(in))
			var got ping.Result
			if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Count(out, "\n") != 1 {
				t.Errorf("%s: output %q is not one JSON line: %v", file, out, err)
				continue
			}
			if g, w := parseJSON(t, got), parseJSON(t, want); g != w {
				t.Errorf("%s: printed %s, want %s", file, g, w)
			}
		}
	}
}

func parseJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCmdErrors(t *testing.T) {
	known := "known: arista_eos, cisco_iosxe (alias cisco_ios), cisco_iosxr, cisco_nxos, juniper_junos"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing platform", []string{"parse", "-"}, "--platform is required (" + known + ")"},
		{"unknown platform", []string{"parse", "--platform", "cisco_asa", "-"}, `unknown platform "cisco_asa" (` + known + ")"},
		{"mistyped platform", []string{"parse", "--platform", "junos", "-"}, `unknown platform "junos" (` + known + `); did you mean "juniper_junos"?`},
		{"missing file", []string{"parse", "--platform", "cisco_nxos", "/nonexistent/ping.txt"}, "open ping output: open /nonexistent/ping.txt: no such file or directory"},
		{"two files", []string{"parse", "--platform", "cisco_nxos", "a", "b"}, "accepts at most 1 arg(s), received 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := parseExec(t, "Success rate is 100 percent (5/5)", tt.args...)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %s", err, tt.want)
			}
			if out != "" {
				t.Errorf("printed %q on error", out)
			}
		})
	}
}

func TestParseCmdTooLarge(t *testing.T) {
	big := strings.Repeat("!", maxParseInput+1)
	_, err := parseExec(t, big, "parse", "--platform", "cisco_iosxe")
	if err == nil || !strings.Contains(err.Error(), "not a ping output") {
		t.Fatalf("err = %v, want a size error", err)
	}
}

// TestParseCmdCancelled checks that an interrupt ends a read that would
// otherwise wait for a terminal forever.
func TestParseCmdCancelled(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- runParse(ctx, &parseOptions{Platform: "cisco_nxos", In: pr, Out: io.Discard})
	}()
	cancel()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Fatalf("err = %v, want context canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runParse did not return after its context was cancelled")
	}
}
