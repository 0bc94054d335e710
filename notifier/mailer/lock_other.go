//go:build !unix

package mailer

import (
	"errors"
	"os"
)

// lockFile cannot lock here: the instance id is random per run.
func lockFile(*os.File) error { return errors.ErrUnsupported }
