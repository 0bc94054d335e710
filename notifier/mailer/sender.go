package mailer

import (
	"context"
	"errors"

	"github.com/linkwatch/linkwatch/notifier/render"
)

// Sender delivers an Email. An error wrapped by Permanent will fail again
// however often it is retried (a rejected recipient, a refused login); any
// other error is temporary and the alert is retried with backoff.
type Sender interface {
	Send(ctx context.Context, e render.Email) error
}

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as a delivery failure that retrying will not cure.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
