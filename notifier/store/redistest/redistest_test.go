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
		if !ping(addr) {
			t.Fatalf("server at %s does not answer PING", addr)
		}
	})
	if addr != "" && ping(addr) {
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
