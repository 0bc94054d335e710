package smtptest

import (
	"bytes"
	"errors"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const wait = 10 * time.Second

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// dial connects as a client would in the server's TLS mode.
func dial(t *testing.T, s *Server, implicit bool) *smtp.Client {
	t.Helper()
	var c *smtp.Client
	var err error
	if implicit {
		c, err = smtp.DialTLS(s.Addr(), s.ClientTLS())
	} else {
		c, err = smtp.DialStartTLS(s.Addr(), s.ClientTLS())
	}
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialPlain connects without TLS.
func dialPlain(t *testing.T, s *Server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func smtpCode(err error) int {
	var e *smtp.SMTPError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestDecodesParts(t *testing.T) {
	cases := []struct {
		file, subject, text, html string
	}{
		{"alternative.eml", "[linkwatch] 1 link DOWN at zürich",
			"r1 / 10.0.0.1: UP → DOWN, a long line that is soft wrapped by the encoder",
			"<p>r1 / 10.0.0.1: UP → DOWN</p>"},
		{"plain.eml", "plain", "just text\r\n", ""},
		{"nested.eml", "nested", "text part", "<b>html part</b>"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			s := Start(t, WithAuth("lw", "s3cret"))
			c := dial(t, s, false)
			if err := c.Auth(sasl.NewPlainClient("", "lw", "s3cret")); err != nil {
				t.Fatalf("auth: %v", err)
			}
			err := c.SendMail("linkwatch@example.net", []string{"noc@example.net", "oncall@example.net"},
				bytes.NewReader(fixture(t, tc.file)))
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			m := s.WaitFor(t, 1, wait)[0]
			subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if err != nil {
				t.Fatalf("decode subject: %v", err)
			}
			if m.From != "linkwatch@example.net" || strings.Join(m.To, ",") != "noc@example.net,oncall@example.net" {
				t.Errorf("envelope = %q %q", m.From, m.To)
			}
			if !m.TLS || m.User != "lw" {
				t.Errorf("TLS = %v, User = %q; want true, lw", m.TLS, m.User)
			}
			if subject != tc.subject || m.Text != tc.text || m.HTML != tc.html {
				t.Errorf("got subject %q text %q html %q\nwant subject %q text %q html %q",
					subject, m.Text, m.HTML, tc.subject, tc.text, tc.html)
			}
		})
	}
}

func TestAuthRules(t *testing.T) {
	send := func(c *smtp.Client) error {
		return c.SendMail("a@example.net", []string{"b@example.net"}, bytes.NewReader(fixture(t, "plain.eml")))
	}
	cases := []struct {
		name     string
		opts     []Option
		cleartxt bool
		auth     sasl.Client
		authCode int // expected AUTH reply code, 0 for success
		mailCode int // expected code of the send, 0 for success
	}{
		{"plain ok", []Option{WithAuth("u", "p")}, false, sasl.NewPlainClient("", "u", "p"), 0, 0},
		{"login ok", []Option{WithAuth("u", "p")}, false, sasl.NewLoginClient("u", "p"), 0, 0},
		{"wrong password", []Option{WithAuth("u", "p")}, false, sasl.NewPlainClient("", "u", "x"), 535, 530},
		{"no auth", []Option{WithAuth("u", "p")}, false, nil, 0, 530},
		{"auth before starttls", []Option{WithAuth("u", "p")}, true, sasl.NewPlainClient("", "u", "p"), 523, 530},
		{"cleartext allowed", []Option{WithAuth("u", "p"), WithoutTLS(), WithInsecureAuth()}, true,
			sasl.NewPlainClient("", "u", "p"), 0, 0},
		{"open relay", nil, false, nil, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, tc.opts...)
			var c *smtp.Client
			if tc.cleartxt {
				c = dialPlain(t, s)
			} else {
				c = dial(t, s, false)
			}
			if tc.auth != nil {
				if err := c.Auth(tc.auth); smtpCode(err) != tc.authCode || (err != nil) != (tc.authCode != 0) {
					t.Fatalf("auth: %v, want code %d", err, tc.authCode)
				}
			}
			if err := send(c); smtpCode(err) != tc.mailCode || (err != nil) != (tc.mailCode != 0) {
				t.Fatalf("send: %v, want code %d", err, tc.mailCode)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.mailCode == 0]; len(s.Messages()) != want {
				t.Errorf("%d messages recorded, want %d", len(s.Messages()), want)
			}
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	s := Start(t, WithImplicitTLS())
	c := dial(t, s, true)
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered inside TLS")
	}
	if err := c.SendMail("a@example.net", []string{"b@example.net"}, bytes.NewReader(fixture(t, "plain.eml"))); err != nil {
		t.Fatalf("send: %v", err)
	}
	if m := s.WaitFor(t, 1, wait)[0]; !m.TLS || m.Text != "just text\r\n" {
		t.Errorf("TLS = %v, Text = %q", m.TLS, m.Text)
	}
}

func TestFailNext(t *testing.T) {
	cases := []struct {
		name   string
		inject func(s *Server)
		codes  []int // reply code of each of three sends, 0 for accepted
	}{
		{"data temporary", func(s *Server) { s.FailNext(2, 451, "try later") }, []int{451, 451, 0}},
		{"data permanent", func(s *Server) { s.FailNext(1, 554, "rejected") }, []int{554, 0, 0}},
		{"rcpt permanent", func(s *Server) { s.FailNextRcpt(1, 550, "no such user") }, []int{550, 0, 0}},
		{"cleared", func(s *Server) { s.FailNext(3, 451, "x"); s.FailNext(0, 0, "") }, []int{0, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t)
			tc.inject(s)
			c := dial(t, s, false)
			accepted := 0
			for i, want := range tc.codes {
				err := c.SendMail("a@example.net", []string{"b@example.net"}, bytes.NewReader(fixture(t, "plain.eml")))
				if smtpCode(err) != want || (err != nil) != (want != 0) {
					t.Fatalf("send %d: %v, want code %d", i, err, want)
				}
				if err != nil {
					if err := c.Reset(); err != nil {
						t.Fatalf("reset: %v", err)
					}
					continue
				}
				accepted++
			}
			if got := len(s.WaitFor(t, accepted, wait)); got != accepted {
				t.Errorf("%d messages recorded, want %d", got, accepted)
			}
		})
	}
}

func TestTranscriptShowsConversation(t *testing.T) {
	s := Start(t)
	c := dial(t, s, false)
	if err := c.Noop(); err != nil {
		t.Fatalf("noop: %v", err)
	}
	if tr := s.Transcript(); !strings.Contains(tr, "STARTTLS") || !strings.Contains(tr, "NOOP") {
		t.Errorf("transcript lacks the commands sent:\n%s", tr)
	}
}
