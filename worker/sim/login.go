package sim

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// maxAttempts is how many authentication attempts a device keeps: the
// latest ones.
const maxAttempts = 1000

// AuthAttempt is one password a client tried on a device, by the password
// or the keyboard-interactive method. The password itself is not kept.
type AuthAttempt struct {
	Time       time.Time
	User       string
	Method     string // MethodPassword or MethodKeyboardInteractive
	PasswordOK bool   // the password was the device's
	Accepted   bool   // the login was let in: right user and password, no lockout
	Locked     bool   // refused because logins were locked out
	// Remote is the client's address: for a login through a bastion, the
	// address of the bastion's connection (Forward.From).
	Remote string
}

// AuthAttempts returns the latest authentication attempts on the device
// called name, oldest first (at most the last 1000), or nil for a device the
// server does not serve. They outlive reloads that keep the device.
func (s *Server) AuthAttempts(name string) []AuthAttempt {
	s.mu.Lock()
	l := s.devs[name]
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	return l.auth.list()
}

// authGuard decides a device's logins: credentials, lockout, and the
// record of attempts.
type authGuard struct {
	log *slog.Logger

	mu       sync.Mutex
	attempts []AuthAttempt
	failures []time.Time // failed logins inside the lockout window, oldest first
	until    time.Time   // logins are locked out until then
}

// check decides one attempt, made at now, to log in to d as user with
// pass, and records it.
func (g *authGuard) check(d *Device, now time.Time, remote, method, user, pass string) bool {
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(d.Username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(d.Password)) == 1
	a := AuthAttempt{Time: now, User: user, Method: method, PasswordOK: passOK, Remote: remote}
	lo := d.Login.Lockout
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case lo.After > 0 && now.Before(g.until):
		a.Locked = true
	case userOK && passOK:
		a.Accepted = true
		g.failures = nil
	case lo.After > 0:
		g.failures = append(slices.DeleteFunc(g.failures, func(t time.Time) bool {
			return !t.After(now.Add(-lo.Within))
		}), now)
		if len(g.failures) >= lo.After {
			g.until, g.failures = now.Add(lo.For), nil
			g.log.Warn("logins locked out", "failures", lo.After, "within", lo.Within, "for", lo.For)
		}
	}
	if len(g.attempts) == maxAttempts {
		g.attempts = slices.Delete(g.attempts, 0, 1)
	}
	g.attempts = append(g.attempts, a)
	// One line per attempt, never the password: what an AAA server's
	// accounting shows, and what end-to-end tests count.
	g.log.Info("auth attempt", "user", user, "method", method, "accepted", a.Accepted, "locked", a.Locked, "remote", remote)
	return a.Accepted
}

func (g *authGuard) list() []AuthAttempt {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.attempts)
}

// errDenied is every refused login's error: the client learns nothing of
// why, as from a real device.
var errDenied = errors.New("permission denied")

// authCallbacks sets cfg's password and keyboard-interactive logins, those
// of them the device offers, to be decided by the device's guard under its
// current behaviour, so a reloaded password or lockout applies to the next
// attempt.
func (l *listener) authCallbacks(cfg *ssh.ServerConfig, login LoginBehaviour) {
	check := func(m ssh.ConnMetadata, method, pass string) (*ssh.Permissions, error) {
		if l.auth.check(l.cur.Load(), l.srv.now(), m.RemoteAddr().String(), method, m.User(), pass) {
			return nil, nil
		}
		return nil, errDenied
	}
	if login.Offers(MethodPassword) {
		cfg.PasswordCallback = func(m ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			return check(m, MethodPassword, string(pw))
		}
	}
	if login.Offers(MethodKeyboardInteractive) {
		cfg.KeyboardInteractiveCallback = func(m ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			if login.Instruction != "" {
				if _, err := ask("", login.Instruction, nil, nil); err != nil {
					return nil, err
				}
			}
			answers, err := ask("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) != 1 {
				return nil, errDenied
			}
			return check(m, MethodKeyboardInteractive, answers[0])
		}
	}
}
