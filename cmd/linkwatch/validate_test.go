package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validateExec runs the root command with args and returns its output.
func validateExec(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	validateWrite(t, bad, `interval: 5 minutes
credentials: { lab: { username: admin, password: hunter2 } }
defaults: { platform: cisco_iosxe, credentials: lab }
devices:
  - { name: r1, host: 127.0.0.1, targets: ["10.0.0.1; reload"] }
  - { name: r1, host: 127.0.0.2, site: dc.1, targets: [10.0.0.1] }
`)
	one := filepath.Join(dir, "one.yaml")
	validateWrite(t, one, "credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }\n"+
		"devices: [{ name: r1, host: 127.0.0.1, platform: arista_eos, credentials: lab, targets: [10.0.0.1] }]\n")
	csvConfig := filepath.Join(dir, "csv.yaml")
	validateWrite(t, csvConfig, "credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }\n"+
		"defaults: { platform: arista_eos, credentials: lab }\ndevices_file: devices.csv\n")
	validateWrite(t, filepath.Join(dir, "devices.csv"), "name,host,site,platfrom,targets\n")
	csvGood := filepath.Join(dir, "csvgood.yaml")
	validateWrite(t, csvGood, "credentials: { lab: { username: admin, password_env: LAB_PASSWORD } }\n"+
		"defaults: { platform: arista_eos, credentials: lab }\ndevices_file: good.csv\n")
	validateWrite(t, filepath.Join(dir, "good.csv"), "name,host,site,targets\nr1,127.0.0.1,dc1,10.0.0.1;10.0.0.2\nr2,127.0.0.2,dc2,10.0.0.1\n")

	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
		err            string
	}{
		{
			name:   "example",
			args:   []string{"validate", "--config", "../../linkwatch.example.yaml"},
			stdout: "../../linkwatch.example.yaml: ok (3 devices, 7 links, 2 sites)\n",
		},
		{
			name:   "singular",
			args:   []string{"validate", "-c", one},
			stdout: one + ": ok (1 device, 1 link, 1 site)\n",
		},
		{
			name: "problems",
			args: []string{"validate", "--config", bad},
			stderr: bad + `:1:11: interval: "5 minutes" is not a duration (like 30s, 5m, 1h)
` + bad + `:2:21: credentials.lab: one of password_env or password_file is required
` + bad + `:2:40: credentials.lab.password: inline passwords are not allowed: use password_env or password_file
` + bad + `:5:44: devices[0].targets[0].address: "10.0.0.1; reload" is not an IP address or host name
` + bad + `:6:13: devices[1].name: duplicate device name "r1" (also devices[0])
` + bad + `:6:40: devices[1].site: "dc.1" is not a valid name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)
`,
			err: bad + ": 6 problems",
		},
		{
			name:   "devices file",
			args:   []string{"validate", "-c", csvGood},
			stdout: csvGood + ": ok (2 devices, 3 links, 2 sites)\n",
		},
		{
			name: "devices file problems",
			args: []string{"validate", "-c", csvConfig},
			stderr: filepath.Join(dir, "devices.csv") + `:1:16: unknown column "platfrom" (columns: credentials, host, jump_host, name, ping.count, ping.size, ping.source, ping.timeout, ping.vrf, platform, port, session, site, ssh.ciphers, ssh.host_key_algorithms, ssh.key_exchanges, ssh.legacy, ssh.macs, targets); did you mean "platform"?
`,
			err: csvConfig + ": 1 problem",
		},
		{
			name:   "missing file",
			args:   []string{"validate", "--config", filepath.Join(dir, "nope.yaml")},
			stderr: filepath.Join(dir, "nope.yaml") + ": read config: no such file or directory\n",
			err:    filepath.Join(dir, "nope.yaml") + ": 1 problem",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := validateExec(t, tt.args...)
			if gotErr := validateErr(err); gotErr != tt.err {
				t.Errorf("error = %q, want %q", gotErr, tt.err)
			}
			if stdout != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout, tt.stdout)
			}
			if stderr != tt.stderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", stderr, tt.stderr)
			}
			if strings.Contains(stdout+stderr, "hunter2") {
				t.Errorf("output shows the inline password")
			}
		})
	}
}

func TestValidateDefaultConfigPath(t *testing.T) {
	cmd := newValidateCmd()
	if got := cmd.Flags().Lookup("config").DefValue; got != "linkwatch.yaml" {
		t.Errorf("--config defaults to %q, want linkwatch.yaml", got)
	}
}

func validateWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// validateErr is err's text, or "" for none.
func validateErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
