// Package redistest runs a real redis-server on a loopback port for tests,
// like net/http/httptest does for HTTP servers.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to answer its first PING.
const startTimeout = 10 * time.Second

// Start runs redis-server (found on PATH) without persistence on a free
// 127.0.0.1 port, waits until it answers PING, and returns its URL. The
// server stops when the test ends. Start skips the test when redis-server
// is not installed.
func Start(t testing.TB) (url string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found; install it with: apt-get install -y redis-server (make test does this)")
	}
	// The free port can be taken between choosing and binding it: try again.
	for range 3 {
		if addr, ok := start(t, bin); ok {
			return "redis://" + addr + "/0"
		}
	}
	t.Fatal("redis-server could not bind a free port in 3 attempts")
	return ""
}

// start runs one server; ok is false when its port was taken meanwhile.
func start(t testing.TB, bin string) (addr string, ok bool) {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	logFile := filepath.Join(dir, "redis.log")
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logFile)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(startTimeout)
	for !ping(addr) {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			log, _ := os.ReadFile(logFile)
			if strings.Contains(string(log), "Address already in use") {
				return "", false
			}
			t.Fatalf("redis-server exited: %v\n%s", err, log)
		case <-deadline:
			log, _ := os.ReadFile(logFile)
			t.Fatalf("redis-server on %s did not answer PING within %v\n%s", addr, startTimeout, log)
		case <-tick.C:
		}
	}
	return addr, true
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ping reports whether a Redis server at addr answers PING.
func ping(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

var prefixes atomic.Int64

// Prefix returns a key prefix no other call in this process returns, so
// tests sharing one server each see an empty keyspace.
func Prefix(t testing.TB) string {
	return fmt.Sprintf("test:%s#%d:", t.Name(), prefixes.Add(1))
}
