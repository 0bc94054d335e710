package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/linkwatch/linkwatch/notifier/mailer"
	"github.com/linkwatch/linkwatch/notifier/render"
)

// Sender delivers emails to one SMTP server, one connection per email.
// It is safe for concurrent use.
type Sender struct {
	cfg  Config
	addr string
	tls  *tls.Config
	log  *slog.Logger
	now  func() time.Time
}

// New checks cfg and returns a Sender for it. A nil log discards.
func New(cfg Config, log *slog.Logger) (*Sender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	return &Sender{
		cfg:  cfg,
		addr: addr,
		tls:  cfg.tlsConfig(),
		log:  log.With("smtp", addr),
		now:  time.Now,
	}, nil
}

// Server names the SMTP server, "SMTP server at host:port", for the log
// line of a mailer waiting for it.
func (s *Sender) Server() string { return "SMTP server at " + s.addr }

// Send delivers e. A failure that retrying cannot cure (a 5xx reply such
// as a rejected recipient or login, a malformed address) is wrapped by
// mailer.Permanent; anything else (4xx, refused or lost connections,
// timeouts, TLS failures, ctx ending) is temporary. Cancelling ctx aborts
// the SMTP conversation.
func (s *Sender) Send(ctx context.Context, e render.Email) error {
	msg, err := s.message(e)
	if err != nil {
		return mailer.Permanent(fmt.Errorf("build email %q: %w", e.Subject, err))
	}
	var stop func() bool
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	client, err := s.client(ctx, &stop)
	if err != nil {
		return mailer.Permanent(fmt.Errorf("configure smtp client: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return s.classify(ctx, err)
	}
	s.log.Debug("email sent", "subject", e.Subject, "to", e.To, "message_id", msg.GetMessageID())
	return nil
}

// message builds a multipart/alternative message (text, then HTML).
func (s *Sender) message(e render.Email) (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(e.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if len(e.To) == 0 {
		return nil, errors.New("to: no recipients")
	}
	if err := m.To(e.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	m.Subject(e.Subject)
	m.SetDateWithValue(s.now())
	if e.MessageID != "" {
		m.SetMessageIDWithValue(e.MessageID)
	} else {
		m.SetMessageID()
	}
	m.SetUserAgent("linkwatch")
	for _, name := range slices.Sorted(maps.Keys(e.Headers)) {
		m.SetGenHeader(gomail.Header(name), e.Headers[name])
	}
	m.SetBodyString(gomail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return m, nil
}

// client makes a go-mail client for one delivery. Its dialer does implicit
// TLS itself and arranges for ctx ending to close the connection; *stop
// is set to undo that arrangement.
func (s *Sender) client(ctx context.Context, stop *func() bool) (*gomail.Client, error) {
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.cfg.TLS == TLSImplicit {
			tc := tls.Client(conn, s.tls)
			if err := tc.HandshakeContext(dctx); err != nil {
				conn.Close()
				return nil, fmt.Errorf("tls handshake: %w", err)
			}
			conn = tc
		}
		*stop = context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
	policy := gomail.NoTLS // implicit TLS is the dialer's business
	if s.cfg.TLS == TLSStartTLS {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSPolicy(policy),
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	if s.cfg.Username != "" {
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if s.cfg.TLS == TLSNone { // New allows this only to a loopback relay
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts, gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(mechs...))
	}
	return gomail.NewClient(s.cfg.Host, opts...)
}

// classify wraps a delivery error, marking 5xx replies and malformed
// messages permanent.
func (s *Sender) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("send email via %s: %w: %w", s.addr, ctx.Err(), err)
	}
	err = fmt.Errorf("send email via %s: %w", s.addr, err)
	if code := replyCode(err); code >= 500 && code < 600 {
		return mailer.Permanent(err)
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return mailer.Permanent(err)
		}
	}
	return err
}

// replyCode is the SMTP reply code behind err, or 0 when it has none.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}
