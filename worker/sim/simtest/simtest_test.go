package simtest_test

import (
	"net"
	"testing"

	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

func TestStartServes(t *testing.T) {
	srv := simtest.Start(t, "devices:\n  - {name: r1, platform: cisco_iosxe, username: admin, password: pw}\n")
	addr, ok := srv.Addr("r1")
	if !ok {
		t.Fatal("r1 is not served")
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial r1: %v", err)
	}
	c.Close()
}
