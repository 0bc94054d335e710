// Package filelock takes exclusive, advisory locks on files without
// waiting (flock on Unix). A lock lasts until its file is closed or its
// process ends, however it ends, so a killed process never leaves one
// behind. Elsewhere Lock reports errors.ErrUnsupported.
package filelock

import "errors"

// ErrLocked says another open file description holds the lock: in
// practice, another live process.
var ErrLocked = errors.New("locked by another process")
