// Package smtptest runs an in-process SMTP server on 127.0.0.1 for tests,
// like net/http/httptest does for HTTP: STARTTLS or implicit TLS with a
// throwaway certificate, optional AUTH PLAIN and LOGIN, a record of every
// accepted message with its parts decoded, and injected failures.
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/linkwatch/linkwatch/proto/waittest"
)

// Option configures a Server.
type Option func(*Server)

// WithAuth requires AUTH as user with pass before MAIL (530 otherwise).
// AUTH is offered only on an encrypted connection unless WithInsecureAuth
// is also given.
func WithAuth(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// WithImplicitTLS makes the server speak TLS from the first byte (port 465
// style) instead of offering STARTTLS.
func WithImplicitTLS() Option { return func(s *Server) { s.implicitTLS = true } }

// WithoutTLS makes a cleartext-only server that does not offer STARTTLS.
func WithoutTLS() Option { return func(s *Server) { s.noTLS = true } }

// WithInsecureAuth offers and accepts AUTH on a cleartext connection.
func WithInsecureAuth() Option { return func(s *Server) { s.insecureAuth = true } }

// Server is a running test SMTP server.
type Server struct {
	user, pass                       string
	implicitTLS, noTLS, insecureAuth bool

	t     testing.TB
	smtp  *smtp.Server
	ln    net.Listener
	cert  tls.Certificate
	pool  *x509.CertPool
	trace waittest.Buffer

	mu       sync.Mutex
	msgs     []Message
	changed  chan struct{} // closed and replaced when a message arrives
	failures map[stage]*failure
	closed   bool
}

// Start runs a server on a free port of 127.0.0.1; it stops when the test
// ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, changed: make(chan struct{}), failures: map[stage]*failure{}}
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.cert, s.pool, err = selfSigned(); err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s.smtp = s.newSMTPServer()
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	if s.implicitTLS {
		s.ln = tls.NewListener(s.ln, s.smtp.TLSConfig)
	}
	served := make(chan error, 1)
	go func() { served <- s.smtp.Serve(s.ln) }()
	t.Cleanup(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if err := s.smtp.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("smtptest: close: %v", err)
		}
		// Close misses the listener when Serve has not yet started.
		s.ln.Close()
		if err := <-served; err != nil {
			t.Errorf("smtptest: serve: %v", err)
		}
	})
	return s
}

func (s *Server) newSMTPServer() *smtp.Server {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = s.insecureAuth
	srv.Debug = &s.trace
	srv.ErrorLog = serverLog{s}
	if !s.noTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	}
	return srv
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the server's IP address, 127.0.0.1.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// CertPool trusts the server's certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// ClientTLS is a client configuration that trusts the server's certificate.
// Its ServerName is Host(); the certificate is also valid for localhost.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: s.Host(), MinVersion: tls.VersionTLS12}
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages were accepted and returns them;
// it fails t if that takes longer than timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, changed := append([]Message(nil), s.msgs...), s.changed
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("smtptest: %d messages accepted within %v, want %d", len(msgs), timeout, n)
			return nil
		}
	}
}

// Transcript is everything said on every connection so far, both ways,
// as the server saw it after any TLS decryption. Tests use it to check
// what was or was not said (AUTH, MAIL) on a connection.
func (s *Server) Transcript() string { return s.trace.String() }

func (s *Server) record(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// logf logs through the test while it runs; testing.TB must not be used
// once the test has finished.
func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.t.Logf(format, args...)
	}
}

// serverLog routes go-smtp's error log to the test log.
type serverLog struct{ s *Server }

func (l serverLog) Printf(format string, v ...any) { l.s.logf("smtptest: "+format, v...) }
func (l serverLog) Println(v ...any)               { l.s.logf("smtptest: %v", v) }

// CertPEM returns the server's self-signed certificate in PEM, for a
// client configured by file (such as notify.smtp.ca_file).
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Certificate[0]})
}
