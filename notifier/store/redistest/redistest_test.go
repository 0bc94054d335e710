package redistest

import (
	"net/url"
	"testing"
)

func TestStartAndStop(t *testing.T) {
	var addr string
	t.Run("server", func(t *testing.T) {
		u, err := url.Parse(Start(t))
		if err != nil {
			t.Fatalf("Start returned a bad URL: %v", err)
		}
		addr = u.Host
		if !ping(addr, options{}) {
			t.Fatalf("server at %s does not answer PING", addr)
		}
	})
	if addr != "" && ping(addr, options{}) {
		t.Errorf("server at %s still answers after its test ended", addr)
	}
}

func TestPrefixUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 3 {
		p := Prefix(t)
		if seen[p] {
			t.Errorf("Prefix returned %q twice", p)
		}
		seen[p] = true
	}
}

func TestRequirePass(t *testing.T) {
	u, err := url.Parse(Start(t, RequirePass("s3cret")))
	if err != nil {
		t.Fatalf("Start returned a bad URL: %v", err)
	}
	if u.User != nil {
		t.Errorf("URL %s holds the password", u.Redacted())
	}
	if ping(u.Host, options{}) {
		t.Errorf("server at %s answers PING without AUTH", u.Host)
	}
	if ping(u.Host, options{password: "wrong"}) {
		t.Errorf("server at %s accepts a wrong password", u.Host)
	}
	if !ping(u.Host, options{password: "s3cret"}) {
		t.Errorf("server at %s does not answer PING after AUTH", u.Host)
	}
}
