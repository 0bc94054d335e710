package smtptest

import (
	"fmt"
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// errAuthRequired answers MAIL before AUTH on a server that wants AUTH.
var errAuthRequired = &smtp.SMTPError{
	Code:         530,
	EnhancedCode: smtp.EnhancedCode{5, 7, 0},
	Message:      "Authentication required",
}

// session is one SMTP conversation; go-smtp makes a new one after STARTTLS.
type session struct {
	srv  *Server
	conn *smtp.Conn
	user string // authenticated as
	from string
	to   []string
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{"PLAIN", "LOGIN"}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.srv.user == "" {
		return nil, smtp.ErrAuthUnsupported
	}
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(_, username, password string) error {
			return s.login(username, password)
		}), nil
	case "LOGIN":
		return &loginServer{check: s.login}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) login(username, password string) error {
	if username != s.srv.user || password != s.srv.pass {
		return smtp.ErrAuthFailed
	}
	s.user = username
	return nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && s.user == "" {
		return errAuthRequired
	}
	s.from, s.to = from, nil
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.srv.takeFailure(stageRcpt); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	if err := s.srv.takeFailure(stageData); err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	m := Message{From: s.from, To: s.to, Data: data, TLS: isTLS, User: s.user}
	if err := m.parse(); err != nil {
		s.srv.logf("smtptest: accepted a message that does not parse: %v", err)
	}
	s.srv.record(m)
	return nil
}

func (s *session) Reset() { s.from, s.to = "", nil }

func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks: it
// asks for the user name, then the password.
type loginServer struct {
	check    func(username, password string) error
	step     int
	username string
}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) == 0 {
			return []byte("Username:"), false, nil
		}
		// An initial response carries the user name.
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.username, string(response))
	}
}
