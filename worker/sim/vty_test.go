package sim

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// TestSessionsCounted logs in to two devices, twice to one, and checks the
// counts of connections open and the most at once, per device and over the
// fleet; a failed login is no session.
func TestSessionsCounted(t *testing.T) {
	s := startServer(t, mustParse(t, "devices:\n"+
		"  - {name: r1, platform: cisco_iosxe, username: admin, password: secret}\n"+
		"  - {name: r2, platform: cisco_nxos, username: admin, password: secret}\n"))
	want := func(open1, most1, open2, most2, openAll, mostAll int) func() error {
		return func() error {
			o1, m1 := s.Sessions("r1")
			o2, m2 := s.Sessions("r2")
			oa, ma := s.FleetSessions()
			got := [6]int{o1, m1, o2, m2, oa, ma}
			if got != [6]int{open1, most1, open2, most2, openAll, mostAll} {
				return fmt.Errorf("r1 open/most %d/%d, r2 %d/%d, fleet %d/%d; want %d/%d, %d/%d, %d/%d", o1, m1, o2, m2, oa, ma,
					open1, most1, open2, most2, openAll, mostAll)
			}
			return nil
		}
	}
	var clients []*ssh.Client
	for _, name := range []string{"r1", "r1", "r2"} {
		c, err := dial(t, s, name, "admin", "secret")
		if err != nil {
			t.Fatalf("login to %s: %v", name, err)
		}
		clients = append(clients, c)
	}
	if _, err := dial(t, s, "r2", "admin", "wrong"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	waittest.For(t, 5*time.Second, want(2, 2, 1, 1, 3, 3))
	for _, c := range clients {
		c.Close()
	}
	waittest.For(t, 5*time.Second, want(0, 2, 0, 1, 0, 3))
	if open, most := s.Sessions("r9"); open != 0 || most != 0 {
		t.Errorf("r9, not served: %d open, %d at most", open, most)
	}
}
