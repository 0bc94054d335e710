package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secret = "s3cret-Pa55"

// secretsConfig writes a config whose credentials read from the environment
// and from files in a temporary directory, and loads it.
func secretsConfig(t *testing.T) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"crlf.pass":  secret + "\r\n",
		"plain.pass": secret,
		"lf.pass":    secret + "\n",
		"empty.pass": "\n",
		"linkwatch.yaml": `
notify:
  smtp: { host: smtp.example.net, username: lw, password_file: lf.pass }
credentials:
  env:     { username: admin, password_env: LW_TEST_PASSWORD }
  unset:   { username: admin, password_env: LW_TEST_UNSET }
  lf:      { username: ops, password_file: lf.pass }
  crlf:    { username: ops, password_file: crlf.pass }
  plain:   { username: ops, password_file: plain.pass }
  empty:   { username: ops, password_file: empty.pass }
  missing: { username: ops, password_file: missing.pass }
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Load(filepath.Join(dir, "linkwatch.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg, dir
}

func TestCredential(t *testing.T) {
	t.Setenv("LW_TEST_PASSWORD", secret)
	t.Setenv("LW_TEST_UNSET", "") // restored after the test
	os.Unsetenv("LW_TEST_UNSET")
	cfg, dir := secretsConfig(t)
	tests := []struct {
		name, user, password, err string
	}{
		{name: "env", user: "admin", password: secret},
		{name: "lf", user: "ops", password: secret},
		{name: "crlf", user: "ops", password: secret},
		{name: "plain", user: "ops", password: secret},
		{name: "unset", err: `credential "unset": environment variable LW_TEST_UNSET is not set`},
		{name: "empty", err: `credential "empty": password file ` + filepath.Join(dir, "empty.pass") + ` is empty`},
		{name: "missing", err: `credential "missing": read password file: open ` + filepath.Join(dir, "missing.pass") + `: no such file or directory`},
		{name: "nope", err: `credential "nope" is not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, password, err := cfg.Credential(tt.name)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Credential(%q) error = %v, want %s", tt.name, err, tt.err)
				}
				return
			}
			if err != nil || user != tt.user || password != tt.password {
				t.Errorf("Credential(%q) = %q, %q, %v; want %q, %q", tt.name, user, password, err, tt.user, tt.password)
			}
		})
	}
}

func TestSMTPPassword(t *testing.T) {
	cfg, _ := secretsConfig(t)
	if got, err := cfg.SMTPPassword(); err != nil || got != secret {
		t.Errorf("SMTPPassword() = %q, %v; want the file's content", got, err)
	}
	t.Setenv("SMTP_PASSWORD", secret)
	cfg, err := Parse("linkwatch.yaml", []byte("notify: { smtp: { host: mail.example.net, username: lw, password_env: SMTP_PASSWORD } }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cfg.SMTPPassword(); err != nil || got != secret {
		t.Errorf("SMTPPassword() = %q, %v; want the variable's value", got, err)
	}
	os.Unsetenv("SMTP_PASSWORD")
	if _, err := cfg.SMTPPassword(); err == nil || err.Error() != "smtp password: environment variable SMTP_PASSWORD is not set" {
		t.Errorf("SMTPPassword() with the variable unset: error = %v", err)
	}
	cfg, err = Parse("linkwatch.yaml", []byte("notify: { smtp: { host: mail.example.net } }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cfg.SMTPPassword(); got != "" || err != nil {
		t.Errorf("SMTPPassword() without username = %q, %v; want none", got, err)
	}
}

// TestErrorsNeverShowSecrets puts a secret where people paste them by
// mistake and checks that no problem report prints it.
func TestErrorsNeverShowSecrets(t *testing.T) {
	t.Setenv("LW_TEST_PASSWORD", secret)
	files := []string{
		"credentials: { lab: { username: admin, password: " + secret + " } }\n",
		"credentials: { lab: { username: admin, password: { value: " + secret + " } } }\n",
		"credentials: { lab: { username: admin, password_env: \"" + secret + "\" } }\n",
		"credentials: { lab: " + secret + " }\n",
		"notify: { smtp: " + secret + " }\n",
		"credentials: { lab: { password_env: LW_TEST_PASSWORD, password_file: \"" + secret + "\" } }\n",
		"notify: { smtp: { host: mail.example.net, username: lw, password_env: \"" + secret + "!\" } }\n",
		"notify: { smtp: { host: mail.example.net, password: " + secret + " } }\n",
		"state: { redis_url: \"http://user:" + secret + "@127.0.0.1:6379\" }\n",
		"state: { redis_url: \"redis://user:" + secret + "@\" }\n",
		"nats: { url: \"http://user:" + secret + "@127.0.0.1:4222\" }\n",
		"defaults: { password: " + secret + " }\ndevices: [{ name: r1, password: " + secret + " }]\n",
	}
	for _, f := range files {
		_, err := Parse("linkwatch.yaml", []byte(f))
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", f)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Parse(%q) error shows the secret:\n%v", f, err)
		}
	}
	cfg, _ := secretsConfig(t)
	for name := range cfg.Credentials {
		if _, _, err := cfg.Credential(name); err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("Credential(%q) error shows the secret: %v", name, err)
		}
	}
}
