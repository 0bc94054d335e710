package natsauthtest_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/proto/natsauth/natsauthtest"
)

// echo serves lines back on a loopback port until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// say sends a line on c and reads it back.
func say(c net.Conn, line string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(c, line); err != nil {
		return err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return fmt.Errorf("got %q back, want %q", got, line)
	}
	return nil
}

// dialSay says a line through a new connection to addr.
func dialSay(addr, line string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return say(c, line)
}

func TestLinkCutAndRestore(t *testing.T) {
	link := natsauthtest.NewLink(t, echo(t))
	c, err := net.Dial("tcp", link.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := say(c, "before"); err != nil {
		t.Fatalf("through the link: %v", err)
	}
	link.Cut()
	if err := say(c, "cut"); err == nil {
		t.Error("a connection through the link outlived the cut")
	}
	// While cut, a new connection is accepted and closed at once.
	if err := dialSay(link.Addr(), "while cut"); err == nil {
		t.Error("a connection made while the link is cut got through")
	}
	link.Restore()
	if err := dialSay(link.Addr(), "restored"); err != nil {
		t.Errorf("through the restored link: %v", err)
	}
}
