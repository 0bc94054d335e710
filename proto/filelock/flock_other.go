//go:build !unix

package filelock

import (
	"errors"
	"os"
)

// Lock cannot lock here.
func Lock(*os.File) error { return errors.ErrUnsupported }
