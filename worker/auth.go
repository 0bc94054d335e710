package worker

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// passwordOnce returns the authentication of a login to d: the password
// method and keyboard-interactive, as devices offer either or both (IOS
// offers both), and the callback that ends the login once either has
// offered the password. x/crypto/ssh tries each method the device allows
// in turn, so a device that refused the password by one would otherwise
// get it again by the other: a second failed login on an AAA account
// that locks after a few, and a second line in every TACACS+ log.
//
// An attempt is the password sent: a keyboard-interactive round that asks
// no question (an instruction or a banner) is answered with nothing and is
// none. After the attempt, a second round that asks again is refused, and
// no other method is tried: the handshake fails with an error naming the
// credential and the user, never the password.
func (t *sshTransport) passwordOnce(d Device) ([]ssh.AuthMethod, ssh.ClientAuthCallback) {
	password := d.Password
	refused := fmt.Errorf("the device refused the login of credential %q (user %q); "+
		"the password is offered once per login, and not again by another method", d.Credential, d.Username)
	methods := []ssh.AuthMethod{
		ssh.PasswordCallback(func() (string, error) {
			if !t.authOffered.CompareAndSwap(false, true) {
				return "", refused
			}
			return password, nil
		}),
		ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
			if len(questions) == 0 {
				return nil, nil
			}
			// Only a round asking one hidden answer is a password prompt:
			// the password typed into an echoed field (a user name) or one
			// of several (a passcode after it) would show in clear in the
			// AAA server's logs.
			if len(questions) != 1 || len(echos) != 1 || echos[0] {
				return nil, fmt.Errorf("the device asked %d question(s) at login (%q), not one hidden password: "+
					"the password of credential %q is not typed there", len(questions), CleanText(strings.Join(questions, " | "), 200), d.Credential)
			}
			if !t.authOffered.CompareAndSwap(false, true) {
				return nil, refused
			}
			return []string{password}, nil
		}),
	}
	// Called before each method after the first ("none"): once the
	// password is out, whatever the device allows next is not tried.
	next := func(*ssh.ClientAuthContext) (ssh.AuthMethod, error) {
		if t.authOffered.Load() {
			return nil, refused
		}
		return nil, nil
	}
	return methods, next
}
