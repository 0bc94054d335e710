package smtptest

import "github.com/emersion/go-smtp"

// stage is the command an injected failure answers.
type stage int

const (
	stageData stage = iota
	stageRcpt
)

// failure is a reply to give to the next left commands of a stage.
type failure struct {
	left int
	err  *smtp.SMTPError
}

// FailNext makes the next n messages fail at the end of DATA with code and
// msg: 451 for a temporary failure, 550 or 554 for a permanent one.
func (s *Server) FailNext(n, code int, msg string) { s.fail(stageData, n, code, msg) }

// FailNextRcpt makes the next n RCPT commands fail with code and msg, as a
// server that rejects a recipient (550) or defers it (450) does.
func (s *Server) FailNextRcpt(n, code int, msg string) { s.fail(stageRcpt, n, code, msg) }

func (s *Server) fail(st stage, n, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.failures, st)
		return
	}
	s.failures[st] = &failure{left: n, err: &smtp.SMTPError{Code: code, Message: msg}}
}

// takeFailure returns the error to answer a command of stage st with, or
// nil to let it succeed.
func (s *Server) takeFailure(st stage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.failures[st]
	if f == nil {
		return nil
	}
	if f.left--; f.left <= 0 {
		delete(s.failures, st)
	}
	return f.err
}
