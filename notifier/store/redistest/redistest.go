// Package redistest runs a real redis-server on a loopback port for tests,
// like net/http/httptest does for HTTP servers.
package redistest

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
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

// Option configures the server Start runs.
type Option func(*options)

type options struct {
	password                  string
	certFile, keyFile, caFile string
	port                      int
}

// Port runs the server on this loopback port instead of a free one, so
// that a test can point a client at a server it starts later. A port
// found taken fails the test.
func Port(port int) Option {
	return func(o *options) { o.port = port }
}

// RequirePass makes the server refuse clients that do not log in with
// password (AUTH password, or AUTH default password). The URL Start
// returns does not hold it.
func RequirePass(password string) Option {
	return func(o *options) { o.password = password }
}

// TLS makes the server speak only TLS, with the certificate and key in
// certFile and keyFile (PEM), signed by the CA in caFile; clients need no
// certificate. Start then returns a rediss:// URL.
func TLS(certFile, keyFile, caFile string) Option {
	return func(o *options) { o.certFile, o.keyFile, o.caFile = certFile, keyFile, caFile }
}

// Start runs redis-server (found on PATH) without persistence on a free
// 127.0.0.1 port, waits until it answers PING, and returns its URL. The
// server stops when the test ends. Start skips the test when redis-server
// is not installed.
func Start(t testing.TB, opts ...Option) (url string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found; install it with: apt-get install -y redis-server (make test does this)")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// The free port can be taken between choosing and binding it: try again.
	for range 3 {
		if addr, ok := start(t, bin, o); ok {
			if o.certFile != "" {
				return "rediss://" + addr + "/0"
			}
			return "redis://" + addr + "/0"
		}
	}
	t.Fatal("redis-server could not bind a free port in 3 attempts")
	return ""
}

// start runs one server; ok is false when its port was taken meanwhile.
func start(t testing.TB, bin string, o options) (addr string, ok bool) {
	t.Helper()
	dir := t.TempDir()
	port := o.port
	if port == 0 {
		port = freePort(t)
	}
	logFile := filepath.Join(dir, "redis.log")
	args := []string{"--port", strconv.Itoa(port)}
	if o.certFile != "" {
		args = []string{"--port", "0", "--tls-port", strconv.Itoa(port), "--tls-cert-file", o.certFile,
			"--tls-key-file", o.keyFile, "--tls-ca-cert-file", o.caFile, "--tls-auth-clients", "no"}
	}
	args = append(args, "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", logFile)
	if o.password != "" {
		args = append(args, "--requirepass", o.password)
	}
	cmd := exec.Command(bin, args...)
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
	for !ping(addr, o) {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			log, _ := os.ReadFile(logFile)
			if strings.Contains(string(log), "Address already in use") && o.port == 0 {
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

// ping reports whether a Redis server at addr answers PING, over TLS
// verified against o's CA if it has one, after logging in with o's
// password if it has one.
func ping(addr string, o options) bool {
	conn, err := dial(addr, o.caFile)
	if err != nil {
		return false
	}
	password := o.password
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	r := bufio.NewReader(conn)
	if password != "" {
		if _, err := fmt.Fprintf(conn, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password); err != nil {
			return false
		}
		if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
			return false
		}
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := r.ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// dial connects to addr, over TLS when caFile names the CA of the server's
// certificate.
func dial(addr, caFile string) (net.Conn, error) {
	if caFile == "" {
		return net.DialTimeout("tcp", addr, time.Second)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", caFile)
	}
	host, _, _ := net.SplitHostPort(addr)
	return tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", addr,
		&tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12})
}

var prefixes atomic.Int64

// Prefix returns a key prefix no other call in this process returns, so
// tests sharing one server each see an empty keyspace.
func Prefix(t testing.TB) string {
	return fmt.Sprintf("test:%s#%d:", t.Name(), prefixes.Add(1))
}
