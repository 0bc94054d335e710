package mail

import (
	"context"
	"errors"
	"log/slog"
	"mime"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/render"
)

const (
	user   = "linkwatch"
	secret = "hunter2-Sup3rSecret"
	wait   = 10 * time.Second
)

var sentAt = time.Date(2026, 11, 23, 22, 41, 7, 0, time.UTC)

func testEmail() render.Email {
	return render.Email{
		From:    "linkwatch@example.net",
		To:      []string{"noc@example.net", "oncall@example.net"},
		Subject: "[linkwatch] 1 link DOWN at zürich",
		Text:    "zürich / r1 / 10.0.0.1: UP → DOWN\n    loss 100% (0/5)\n",
		HTML:    "<p>zürich / r1 / 10.0.0.1: <b>UP → DOWN</b></p>\n",
	}
}

// config points at srv in the given TLS mode, trusting its certificate.
func config(srv *smtptest.Server, mode string, withAuth bool) Config {
	c := Config{Host: srv.Host(), Port: srv.Port(), TLS: mode, TLSConfig: srv.ClientTLS(), Timeout: wait}
	if withAuth {
		c.Username, c.Password = user, secret
	}
	return c
}

func newSender(t *testing.T, cfg Config, log *slog.Logger) *Sender {
	t.Helper()
	s, err := New(cfg, log)
	if err != nil {
		t.Fatalf("new sender: %v", err)
	}
	s.now = func() time.Time { return sentAt }
	return s
}

func TestSendDelivers(t *testing.T) {
	cases := []struct {
		name     string
		opts     []smtptest.Option
		mode     string
		auth     bool
		wantTLS  bool
		wantUser string
	}{
		{"starttls with auth", []smtptest.Option{smtptest.WithAuth(user, secret)}, TLSStartTLS, true, true, user},
		{"starttls open relay", nil, TLSStartTLS, false, true, ""},
		{"implicit tls with auth", []smtptest.Option{smtptest.WithImplicitTLS(), smtptest.WithAuth(user, secret)},
			TLSImplicit, true, true, user},
		{"plain local relay", []smtptest.Option{smtptest.WithoutTLS()}, TLSNone, false, false, ""},
		{"plain loopback relay with auth",
			[]smtptest.Option{smtptest.WithoutTLS(), smtptest.WithInsecureAuth(), smtptest.WithAuth(user, secret)},
			TLSNone, true, false, user},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.opts...)
			e := testEmail()
			if err := newSender(t, config(srv, tc.mode, tc.auth), nil).Send(t.Context(), e); err != nil {
				t.Fatalf("send: %v", err)
			}
			m := srv.WaitFor(t, 1, wait)[0]
			if m.TLS != tc.wantTLS || m.User != tc.wantUser {
				t.Errorf("TLS = %v, User = %q; want %v, %q", m.TLS, m.User, tc.wantTLS, tc.wantUser)
			}
			checkMessage(t, m, e)
		})
	}
}

// checkMessage compares what the server received with what was sent.
func checkMessage(t *testing.T, m smtptest.Message, e render.Email) {
	t.Helper()
	if m.From != e.From || strings.Join(m.To, ",") != strings.Join(e.To, ",") {
		t.Errorf("envelope = %q %q, want %q %q", m.From, m.To, e.From, e.To)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != e.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, e.Subject)
	}
	if from, err := m.Header.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != e.From {
		t.Errorf("From header = %v (%v)", from, err)
	}
	if to, err := m.Header.AddressList("To"); err != nil || len(to) != 2 || to[1].Address != e.To[1] {
		t.Errorf("To header = %v (%v)", to, err)
	}
	if date, err := m.Header.Date(); err != nil || !date.Equal(sentAt) {
		t.Errorf("Date = %v (%v), want %v", date, err, sentAt)
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.Contains(id, "@") {
		t.Errorf("Message-ID = %q", id)
	}
	if mt, _, _ := mime.ParseMediaType(m.Header.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", m.Header.Get("Content-Type"))
	}
	if got := crlfToLF(m.Text); got != e.Text {
		t.Errorf("text part = %q, want %q", got, e.Text)
	}
	if got := crlfToLF(m.HTML); got != e.HTML {
		t.Errorf("HTML part = %q, want %q", got, e.HTML)
	}
}

func crlfToLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// closedPort is a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestSendFailures(t *testing.T) {
	withAuth := []smtptest.Option{smtptest.WithAuth(user, secret)}
	cases := []struct {
		name      string
		opts      []smtptest.Option
		setup     func(srv *smtptest.Server, cfg *Config)
		permanent bool
	}{
		{"wrong password", []smtptest.Option{smtptest.WithAuth(user, "other")}, nil, true},
		{"auth required but not configured", []smtptest.Option{smtptest.WithAuth(user, secret)},
			func(_ *smtptest.Server, c *Config) { c.Username, c.Password = "", "" }, true},
		{"recipient rejected", withAuth, func(s *smtptest.Server, _ *Config) { s.FailNextRcpt(1, 550, "no such user") }, true},
		{"message rejected", withAuth, func(s *smtptest.Server, _ *Config) { s.FailNext(1, 554, "spam") }, true},
		{"deferred", withAuth, func(s *smtptest.Server, _ *Config) { s.FailNext(1, 451, "try again later") }, false},
		{"recipient deferred", withAuth, func(s *smtptest.Server, _ *Config) { s.FailNextRcpt(1, 450, "greylisted") }, false},
		{"no starttls", []smtptest.Option{smtptest.WithoutTLS(), smtptest.WithInsecureAuth(), smtptest.WithAuth(user, secret)},
			nil, false},
		{"untrusted certificate", nil, func(_ *smtptest.Server, c *Config) { c.TLSConfig = nil }, false},
		{"implicit tls to a starttls server", nil, func(_ *smtptest.Server, c *Config) { c.TLS = TLSImplicit }, false},
		{"connection refused", nil, func(_ *smtptest.Server, c *Config) { c.Port = closedPort(t) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.opts...)
			cfg := config(srv, TLSStartTLS, true)
			if tc.setup != nil {
				tc.setup(srv, &cfg)
			}
			err := newSender(t, cfg, nil).Send(t.Context(), testEmail())
			if err == nil {
				t.Fatal("send succeeded")
			}
			if mailer.IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages accepted", n)
			}
		})
	}
}

func TestSendNeverInClearWithoutStartTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithoutTLS(), smtptest.WithInsecureAuth(), smtptest.WithAuth(user, secret))
	err := newSender(t, config(srv, TLSStartTLS, true), nil).Send(t.Context(), testEmail())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("send: %v, want an error about STARTTLS", err)
	}
	tr := srv.Transcript()
	for _, line := range strings.Split(tr, "\n") {
		for _, cmd := range []string{"AUTH", "MAIL FROM", "RCPT TO", "DATA"} {
			if strings.HasPrefix(strings.ToUpper(line), cmd) {
				t.Errorf("client said %q in clear:\n%s", line, tr)
			}
		}
	}
}

func TestSendRetryAfterTemporaryFailure(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth(user, secret))
	srv.FailNext(1, 451, "4.3.0 try again later")
	s := newSender(t, config(srv, TLSStartTLS, true), nil)
	err := s.Send(t.Context(), testEmail())
	if err == nil || mailer.IsPermanent(err) || !strings.Contains(err.Error(), "451") {
		t.Fatalf("first send: %v, want a temporary 451 error", err)
	}
	if err := s.Send(t.Context(), testEmail()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	checkMessage(t, srv.WaitFor(t, 1, wait)[0], testEmail())
}

func TestSendBadAddressIsPermanent(t *testing.T) {
	srv := smtptest.Start(t)
	for _, e := range []render.Email{
		{From: "not an address", To: []string{"noc@example.net"}},
		{From: "linkwatch@example.net", To: []string{"noc@@example.net"}},
		{From: "linkwatch@example.net"},
	} {
		err := newSender(t, config(srv, TLSStartTLS, false), nil).Send(t.Context(), e)
		if !mailer.IsPermanent(err) {
			t.Errorf("send from %q to %q: %v, want a permanent error", e.From, e.To, err)
		}
	}
	if tr := srv.Transcript(); tr != "" {
		t.Errorf("a bad email reached the server:\n%s", tr)
	}
}

// TestSendHonoursContext cancels a send while the server sits silent
// after accepting the connection, with a long SMTP timeout.
func TestSendHonoursContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	cfg := Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Timeout: time.Hour}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- newSender(t, cfg, nil).Send(ctx, testEmail()) }()

	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(wait):
		t.Fatal("sender never connected")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || mailer.IsPermanent(err) {
			t.Errorf("send: %v, want a temporary context.Canceled", err)
		}
	case <-time.After(wait):
		t.Fatal("send did not return after its context was cancelled")
	}
}

func TestSendCancelledBeforeDial(t *testing.T) {
	srv := smtptest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := newSender(t, config(srv, TLSStartTLS, false), nil).Send(ctx, testEmail())
	if !errors.Is(err, context.Canceled) || mailer.IsPermanent(err) {
		t.Errorf("send: %v, want a temporary context.Canceled", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
}
