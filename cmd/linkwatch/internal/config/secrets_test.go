package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/proto/secretfile"
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
		"nats: { url: \"nats://127.0.0.1:4222\", user: lw, password: " + secret + " }\n",
		"nats: { url: \"nats://127.0.0.1:4222\", password_env: \"" + secret + "!\" }\n",
		"nats: { url: \"nats://lw:" + secret + "@127.0.0.1:4222\", user: lw, password_env: P }\n",
		"nats: { url: \"nats://" + secret + "@127.0.0.1:4222\", creds_file: lw.creds }\n",
		"nats: { url: \"nats://127.0.0.1:4222, nats://lw:" + secret + "@h2:4222\", nkey_seed_file: lw.nk }\n",
		"nats: { url: \"nats://lw:" + secret + "@127.0.0.1:4222\", token: " + secret + " }\n",
		"nats: { url: \"nats://127.0.0.1:4222\", nkey_seed: " + secret + " }\n",
		"state: { redis_url: \"redis://127.0.0.1:6379/0\", password: " + secret + " }\n",
		"state: { redis_url: \"redis://127.0.0.1:6379/0\", password_env: \"" + secret + "!\" }\n",
		"state: { redis_url: \"redis://lw:" + secret + "@127.0.0.1:6379/0\", password_env: P }\n",
		"state: { redis_url: \"rediss://lw:" + secret + "@127.0.0.1:6380/0?skip_verify=true\" }\n",
		"state: { redis_url: \"redis://:" + secret + "@127.0.0.1:6379/0\", ca_file: ca.pem }\n",
		"state: { password_env: \"" + secret + "\" }\n",
		"notify: { smtp: { host: mail.example.net, tls: none, username: lw, password_env: " + secret + " } }\n",
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
	cfg, dir := secretsConfig(t)
	for name := range cfg.Credentials {
		if _, _, err := cfg.Credential(name); err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("Credential(%q) error shows the secret: %v", name, err)
		}
	}
	// The server passwords, from each kind of bad file and an unset
	// variable, and from a file that is not private.
	writeFile(t, dir, "open.pass", secret, 0o644)
	for _, file := range []string{"lf.pass", "empty.pass", "missing.pass", "open.pass"} {
		cfg.NATS = NATS{URL: "nats://127.0.0.1:4222", User: "lw", PasswordFile: filepath.Join(dir, file)}
		cfg.State = State{RedisURL: "redis://127.0.0.1:6379/0", PasswordFile: filepath.Join(dir, file)}
		if cfg.Notify.SMTP != nil {
			cfg.Notify.SMTP.PasswordFile = filepath.Join(dir, file)
		}
		for what, read := range map[string]func() (string, error){
			"NATSPassword": cfg.NATSPassword, "RedisPassword": cfg.RedisPassword, "SMTPPassword": cfg.SMTPPassword,
		} {
			if _, err := read(); err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("%s from %s: error shows the secret: %v", what, file, err)
			}
		}
	}
	cfg.NATS.PasswordFile, cfg.NATS.PasswordEnv = "", "LW_TEST_UNSET_TOO"
	if _, err := cfg.NATSPassword(); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("NATSPassword with the variable unset: %v", err)
	}
}

// writeFile writes content to name in dir with exactly mode, whatever the
// umask, and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServerSecrets(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "nats.pass", secret+"\n", 0o600)
	writeFile(t, dir, "linkwatch.yaml", `
nats:
  url: "tls://nats-1.example.net:4222, nats-2.example.net:4222"
  user: lw
  password_file: nats.pass
  ca_file: nats-ca.pem
  cert_file: tls/client.pem
  key_file: tls/client.key
state:
  redis_url: rediss://redis.example.net:6380/0
  username: linkwatch
  password_env: LW_TEST_REDIS
  ca_file: /etc/linkwatch/redis-ca.pem
`, 0o600)
	cfg, err := Load(filepath.Join(dir, "linkwatch.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantNATS := NATS{URL: "tls://nats-1.example.net:4222, nats-2.example.net:4222", Listen: "127.0.0.1:4222", User: "lw",
		PasswordFile: filepath.Join(dir, "nats.pass"), CAFile: filepath.Join(dir, "nats-ca.pem"),
		CertFile: filepath.Join(dir, "tls/client.pem"), KeyFile: filepath.Join(dir, "tls/client.key")}
	if cfg.NATS != wantNATS {
		t.Errorf("NATS = %+v, want %+v", cfg.NATS, wantNATS)
	}
	wantState := State{RedisURL: "rediss://redis.example.net:6380/0", Prefix: "linkwatch:", Username: "linkwatch",
		PasswordEnv: "LW_TEST_REDIS", CAFile: "/etc/linkwatch/redis-ca.pem"}
	if cfg.State != wantState {
		t.Errorf("State = %+v, want %+v", cfg.State, wantState)
	}
	if got, err := cfg.NATSPassword(); err != nil || got != secret {
		t.Errorf("NATSPassword() = %q, %v; want the file's content", got, err)
	}
	if _, err := cfg.RedisPassword(); err == nil || err.Error() != "redis password: environment variable LW_TEST_REDIS is not set" {
		t.Errorf("RedisPassword() with the variable unset: error = %v", err)
	}
	t.Setenv("LW_TEST_REDIS", secret)
	if got, err := cfg.RedisPassword(); err != nil || got != secret {
		t.Errorf("RedisPassword() = %q, %v; want the variable's value", got, err)
	}
	cfg, err = Parse("linkwatch.yaml", []byte("nats: { url: \"nats://127.0.0.1:4222\", creds_file: lw.creds }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := cfg.NATSPassword(); got != "" || err != nil {
		t.Errorf("NATSPassword() without user = %q, %v; want none", got, err)
	}
	if got, err := cfg.RedisPassword(); got != "" || err != nil {
		t.Errorf("RedisPassword() without a password = %q, %v; want none", got, err)
	}
}

// TestSecretFileModes checks that a file holding a secret is refused,
// by validation and when it is read, unless only its owner may use it.
func TestSecretFileModes(t *testing.T) {
	dir := t.TempDir()
	open := writeFile(t, dir, "open.pass", secret, 0o644)
	group := writeFile(t, dir, "group.pass", secret, 0o640)
	writable := writeFile(t, dir, "writable.key", secret, 0o620)
	seed := writeFile(t, dir, "lw.nk", secret, 0o604)
	writeFile(t, dir, "ok.pass", secret, 0o600)
	writeFile(t, dir, "ro.pass", secret, 0o400)
	writeFile(t, dir, "ca.pem", "not a secret", 0o644)
	config := func(name, text string) string {
		return writeFile(t, dir, name, text, 0o600)
	}
	_, err := Load(config("bad.yaml", `nats: { url: "nats://127.0.0.1:4222", nkey_seed_file: lw.nk, ca_file: ca.pem, cert_file: ca.pem, key_file: writable.key }
state: { redis_url: "redis://127.0.0.1:6379/0", password_file: group.pass }
notify: { smtp: { host: mail.example.net, username: lw, password_file: open.pass } }
credentials:
  lab: { username: admin, password_file: open.pass }
  ok: { username: admin, password_file: ok.pass }
  ro: { username: admin, password_file: ro.pass }
  later: { username: admin, password_file: not-yet-mounted.pass }
`))
	bad := filepath.Join(dir, "bad.yaml")
	want := []string{
		bad + `:1:55: nats.nkey_seed_file: ` + seed + ` is readable by group or others (mode 0604): chmod 600 it`,
		bad + `:1:108: nats.key_file: ` + writable + ` is accessible by group or others (mode 0620): chmod 600 it`,
		bad + `:2:64: state.password_file: ` + group + ` is readable by group or others (mode 0640): chmod 600 it`,
		bad + `:3:72: notify.smtp.password_file: ` + open + ` is readable by group or others (mode 0644): chmod 600 it`,
		bad + `:5:42: credentials.lab.password_file: ` + open + ` is readable by group or others (mode 0644): chmod 600 it`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Load error:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	if err := secretfile.Check(seed); err == nil || err.Error() != seed+` is readable by group or others (mode 0604): chmod 600 it` {
		t.Errorf("secretfile.Check(%s) = %v", seed, err)
	}
	if err := secretfile.Check(filepath.Join(dir, "ok.pass")); err != nil {
		t.Errorf("secretfile.Check(ok.pass) = %v", err)
	}

	// A file that was private at load time and is no longer when read.
	cfg, err := Load(config("good.yaml", `nats: { url: "nats://127.0.0.1:4222", user: lw, password_file: ok.pass }
state: { redis_url: "redis://127.0.0.1:6379/0", password_file: ok.pass }
notify: { smtp: { host: mail.example.net, username: lw, password_file: ok.pass } }
credentials:
  ro: { username: admin, password_file: ro.pass }
`))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, _, err := cfg.Credential("ro"); err != nil {
		t.Errorf("Credential(ro) = %v", err)
	}
	okPass := filepath.Join(dir, "ok.pass")
	if err := os.Chmod(okPass, 0o644); err != nil {
		t.Fatal(err)
	}
	tail := ` is readable by group or others (mode 0644): chmod 600 it`
	for what, read := range map[string]func() (string, error){
		"nats password": cfg.NATSPassword, "redis password": cfg.RedisPassword, "smtp password": cfg.SMTPPassword,
	} {
		if _, err := read(); err == nil || err.Error() != what+": password file "+okPass+tail {
			t.Errorf("%s: error = %v, want the file refused", what, err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "ro.pass"), 0o444); err != nil {
		t.Fatal(err)
	}
	wantErr := `credential "ro": password file ` + filepath.Join(dir, "ro.pass") + ` is readable by group or others (mode 0444): chmod 600 it`
	if _, _, err := cfg.Credential("ro"); err == nil || err.Error() != wantErr {
		t.Errorf("Credential(ro) error = %v, want %s", err, wantErr)
	}
}

func TestSMTPAuthToLoopbackInClear(t *testing.T) {
	for _, host := range []string{"localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1"} {
		yaml := fmt.Sprintf("notify: { smtp: { host: %q, tls: none, username: lw, password_env: P } }\n", host)
		if _, err := Parse("linkwatch.yaml", []byte(yaml)); err != nil {
			t.Errorf("host %s: %v", host, err)
		}
	}
}

func TestEnableSecret(t *testing.T) {
	t.Setenv("LW_TEST_ENABLE", secret)
	dir := t.TempDir()
	writeFile(t, dir, "enable.pass", secret+"\n", 0o600)
	writeFile(t, dir, "twolines.pass", secret+"\n\n", 0o600)
	path := writeFile(t, dir, "linkwatch.yaml", `
credentials:
  none:   { username: a, password_env: P }
  plain:  { username: a, password_env: P, enable: true }
  env:    { username: a, password_env: P, enable_password_env: LW_TEST_ENABLE }
  file:   { username: a, password_env: P, enable_password_file: enable.pass }
  unset:  { username: a, password_env: P, enable_password_env: LW_TEST_ENABLE_UNSET }
  twolines: { username: a, password_env: P, enable_password_file: twolines.pass }
`, 0o600)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		enable bool
		secret string
		err    string
	}{
		{name: "none"},
		{name: "plain", enable: true},
		{name: "env", enable: true, secret: secret},
		{name: "file", enable: true, secret: secret},
		{name: "unset", err: `credential "unset": enable secret: environment variable LW_TEST_ENABLE_UNSET is not set`},
		{name: "twolines", err: `credential "twolines": enable secret holds a control character (a line break?)`},
	}
	for _, tt := range tests {
		enable, got, err := cfg.EnableSecret(tt.name)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("EnableSecret(%s) error %v, want %s", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || enable != tt.enable || got != tt.secret {
			t.Errorf("EnableSecret(%s) = %v, %q, %v; want %v, %q", tt.name, enable, got, err, tt.enable, tt.secret)
		}
	}
	_, err = Parse("linkwatch.yaml", []byte(`credentials: { lab: { username: a, password_env: P, enable_password_env: "A B", enable_password_file: x } }`))
	want := "linkwatch.yaml:1:21: credentials.lab: give only one of enable_password_env and enable_password_file\n" +
		"linkwatch.yaml:1:74: credentials.lab.enable_password_env: is not an environment variable name (letters, digits and '_')"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error:\n%v\nwant:\n%s", err, want)
	}
}
