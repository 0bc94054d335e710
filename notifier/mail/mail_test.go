package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
)

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no host", Config{}, "smtp host: is required"},
		{"url as host", Config{Host: "smtp://mail.example.net"},
			`smtp host: "smtp://mail.example.net" is not a host name or IP address`},
		{"tls mode", Config{Host: "mail.example.net", TLS: "ssl"}, `smtp tls: "ssl" is not one of starttls, tls, none`},
		{"port", Config{Host: "mail.example.net", Port: 70000}, "smtp port: 70000 is out of range 1-65535"},
		{"timeout", Config{Host: "mail.example.net", Timeout: -time.Second}, "smtp timeout: -1s is negative"},
		{"helo", Config{Host: "mail.example.net", HELO: "my host"}, `smtp helo: "my host" contains white space`},
		{"password alone", Config{Host: "mail.example.net", Password: secret},
			"smtp password: is set but username is empty"},
		{"cleartext auth to a remote relay", Config{Host: "mail.example.net", TLS: TLSNone, Username: user, Password: secret},
			`smtp username: AUTH without TLS (tls: none) is allowed only to a loopback relay, not "mail.example.net"`},
		{"all at once", Config{TLS: "ssl", Port: -1},
			"smtp host: is required\n" + `smtp tls: "ssl" is not one of starttls, tls, none` + "\nsmtp port: -1 is out of range 1-65535"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("New: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	cases := []struct {
		cfg      Config
		wantAddr string
		wantTLS  string
	}{
		{Config{Host: "mail.example.net"}, "mail.example.net:587", TLSStartTLS},
		{Config{Host: "mail.example.net", TLS: TLSImplicit}, "mail.example.net:465", TLSImplicit},
		{Config{Host: "mail.example.net", TLS: TLSNone}, "mail.example.net:25", TLSNone},
		{Config{Host: "127.0.0.1", Port: 2525, TLS: TLSNone, Username: user}, "127.0.0.1:2525", TLSNone},
		{Config{Host: "localhost", TLS: TLSNone, Username: user}, "localhost:25", TLSNone},
		{Config{Host: "::1", TLS: TLSNone, Username: user}, "[::1]:25", TLSNone},
	}
	for _, tc := range cases {
		s, err := New(tc.cfg, nil)
		if err != nil {
			t.Errorf("New(%v): %v", tc.cfg, err)
			continue
		}
		if s.addr != tc.wantAddr || s.cfg.TLS != tc.wantTLS || s.cfg.Timeout != DefaultTimeout {
			t.Errorf("New(%v) = %s %s %v, want %s %s %v", tc.cfg, s.addr, s.cfg.TLS, s.cfg.Timeout,
				tc.wantAddr, tc.wantTLS, DefaultTimeout)
		}
		if s.tls.ServerName != tc.cfg.Host {
			t.Errorf("TLS ServerName = %q, want %q", s.tls.ServerName, tc.cfg.Host)
		}
	}
}

// TestPasswordNeverLeaks sends through every failure this package knows
// and checks that no error text and no log line holds the password, in
// clear or base64 (as AUTH PLAIN and LOGIN carry it).
func TestPasswordNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	forbidden := []string{
		secret,
		base64.StdEncoding.EncodeToString([]byte(secret)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + secret)),
	}
	var texts []string
	record := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
		}
	}

	send := func(opts []smtptest.Option, mode string, tweak func(*smtptest.Server, *Config)) {
		srv := smtptest.Start(t, opts...)
		cfg := config(srv, mode, true)
		if tweak != nil {
			tweak(srv, &cfg)
		}
		s, err := New(cfg, log)
		record(err)
		if err == nil {
			record(s.Send(t.Context(), testEmail()))
		}
		log.Info("configured", "smtp", cfg)
		texts = append(texts, fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg))
	}
	auth := []smtptest.Option{smtptest.WithAuth(user, secret)}
	send(auth, TLSStartTLS, nil)
	send([]smtptest.Option{smtptest.WithAuth(user, "other")}, TLSStartTLS, nil)
	send([]smtptest.Option{smtptest.WithAuth(user, "other"), smtptest.WithImplicitTLS()}, TLSImplicit, nil)
	send([]smtptest.Option{smtptest.WithoutTLS(), smtptest.WithInsecureAuth(), smtptest.WithAuth(user, "other")},
		TLSNone, nil)
	send(auth, TLSStartTLS, func(s *smtptest.Server, _ *Config) { s.FailNextRcpt(1, 550, "no such user") })
	send(auth, TLSStartTLS, func(s *smtptest.Server, _ *Config) { s.FailNext(1, 451, "later") })
	send([]smtptest.Option{smtptest.WithoutTLS(), smtptest.WithInsecureAuth(), smtptest.WithAuth(user, secret)},
		TLSStartTLS, nil)
	send(auth, TLSStartTLS, func(_ *smtptest.Server, c *Config) { c.TLSConfig = nil })
	send(auth, TLSStartTLS, func(_ *smtptest.Server, c *Config) { c.Port = closedPort(t) })
	send(auth, TLSStartTLS, func(_ *smtptest.Server, c *Config) { c.Host, c.TLS = "mail.example.net", TLSNone })
	send(auth, TLSStartTLS, func(_ *smtptest.Server, c *Config) { c.Timeout = -1 })

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	srv := smtptest.Start(t, auth...)
	record(newSender(t, config(srv, TLSStartTLS, true), log).Send(ctx, testEmail()))

	if len(texts) < 20 || logs.Len() == 0 {
		t.Fatalf("too little was captured to prove anything: %d texts, %d bytes of log", len(texts), logs.Len())
	}
	for _, text := range append(texts, logs.String()) {
		for _, f := range forbidden {
			if strings.Contains(text, f) {
				t.Errorf("%q leaks into %q", f, text)
			}
		}
	}
}
