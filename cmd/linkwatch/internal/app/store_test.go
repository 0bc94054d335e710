package app

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/store/redistest"
)

const redisSecret = "s3cret-REDIS"

// openStore calls OpenStore, closes what it opened and checks that no
// secret shows in its error.
func openStore(t *testing.T, s config.State) error {
	t.Helper()
	if s.Prefix == "" {
		s.Prefix = redistest.Prefix(t)
	}
	st, err := OpenStore(t.Context(), &config.Config{State: s}, nil)
	if err != nil {
		if strings.Contains(err.Error(), redisSecret) {
			t.Errorf("OpenStore error shows a secret: %v", err)
		}
		return err
	}
	return st.Close()
}

func TestOpenStoreRedisPassword(t *testing.T) {
	url := redistest.Start(t, redistest.RequirePass(redisSecret))
	dir := t.TempDir()
	good := writeSecret(t, dir, "redis.pass", redisSecret+"\n", 0o600)
	wrong := writeSecret(t, dir, "wrong.pass", "wrong-"+redisSecret, 0o600)
	open := writeSecret(t, dir, "open.pass", redisSecret, 0o644)
	t.Setenv("LW_TEST_REDIS_PASSWORD", redisSecret)
	for _, tc := range []struct {
		name string
		s    config.State
		err  string // "" for success, else a part of the error
	}{
		{"env", config.State{PasswordEnv: "LW_TEST_REDIS_PASSWORD"}, ""},
		{"file", config.State{PasswordFile: good}, ""},
		{"default user", config.State{Username: "default", PasswordFile: good}, ""},
		{"wrong password", config.State{PasswordFile: wrong}, ": WRONGPASS invalid username-password pair"},
		{"wrong user", config.State{Username: "linkwatch", PasswordFile: good}, ": WRONGPASS invalid username-password pair"},
		{"no password", config.State{}, ": NOAUTH Authentication required"},
		{"open file", config.State{PasswordFile: open},
			"redis password: password file " + open + " is readable by group or others (mode 0644): chmod 600 it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.RedisURL = url
			err := openStore(t, tc.s)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("OpenStore: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("OpenStore error = %v, want it to contain %q", err, tc.err)
			}
		})
	}
}

func TestOpenStoreRedisTLS(t *testing.T) {
	pki := newPKI(t)
	url := redistest.Start(t, redistest.TLS(pki.ServerCert, pki.ServerKey, pki.CAFile), redistest.RequirePass(redisSecret))
	t.Setenv("LW_TEST_REDIS_PASSWORD", redisSecret)
	if err := openStore(t, config.State{RedisURL: url, PasswordEnv: "LW_TEST_REDIS_PASSWORD", CAFile: pki.CAFile}); err != nil {
		t.Errorf("OpenStore with the CA: %v", err)
	}
	if err := openStore(t, config.State{RedisURL: url, PasswordEnv: "LW_TEST_REDIS_PASSWORD"}); err == nil ||
		!strings.Contains(err.Error(), "certificate signed by unknown authority") {
		t.Errorf("OpenStore without the CA: error = %v, want the server's certificate refused", err)
	}
	insecure := url + "?skip_verify=true"
	want := "redis url " + insecure + ": skip_verify turns TLS certificate verification off, which is not allowed"
	if err := openStore(t, config.State{RedisURL: insecure, PasswordEnv: "LW_TEST_REDIS_PASSWORD"}); err == nil || err.Error() != want {
		t.Errorf("OpenStore with skip_verify: error = %v, want %s", err, want)
	}
	plain := "redis" + strings.TrimPrefix(url, "rediss")
	want = "redis " + plain + ": CAs given for a URL without TLS (use rediss://)"
	if err := openStore(t, config.State{RedisURL: plain, CAFile: pki.CAFile}); err == nil || err.Error() != want {
		t.Errorf("OpenStore with a CA for redis://: error = %v, want %s", err, want)
	}
	want = "state.ca_file: open " + pki.CAFile + ".missing: no such file or directory"
	if err := openStore(t, config.State{RedisURL: url, CAFile: pki.CAFile + ".missing"}); err == nil || err.Error() != want {
		t.Errorf("OpenStore with a missing CA file: error = %v, want %s", err, want)
	}
}

// TestOpenStoreErrorHidesPassword opens Redis on a closed loopback port
// with a password in the URL: the error names the server, not the
// password.
func TestOpenStoreErrorHidesPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	url := fmt.Sprintf("redis://lw:%s@127.0.0.1:%d/0?max_retries=-1", redisSecret, port)
	err = openStore(t, config.State{RedisURL: url})
	want := fmt.Sprintf("connect to redis redis://lw:xxxxx@127.0.0.1:%d/0?max_retries=-1: dial tcp 127.0.0.1:%[1]d: connect: connection refused", port)
	if err == nil || err.Error() != want {
		t.Errorf("OpenStore error = %v, want %s", err, want)
	}
}
