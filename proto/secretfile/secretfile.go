// Package secretfile is the one home of the rule for files that hold a
// secret (a password, an nkey seed, NATS credentials, a private key): only
// their owner may use them. The configuration checks the files it names
// with it, and linkwatch writes its own secrets (the roles' nkeys, an
// exported key) with it.
package secretfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// Check returns an error when the file at path may be read or changed by
// anyone but its owner and root: any permission bit for group or others
// (mode & 0o077) is refused, the fix is chmod 600. A symbolic link is
// followed. The error names the file, never its content.
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return CheckInfo(path, fi)
}

// CheckInfo checks the mode in fi of the file or directory at path, as
// Check does; for a directory the fix is chmod 700.
func CheckInfo(path string, fi fs.FileInfo) error {
	perm := fi.Mode().Perm()
	if runtime.GOOS == "windows" || perm&0o077 == 0 {
		return nil // Windows has no such mode bits
	}
	what, fix := "readable", "600"
	if perm&0o044 == 0 {
		what = "accessible"
	}
	if fi.IsDir() {
		fix = "700"
	}
	return fmt.Errorf("%s is %s by group or others (mode %04o): chmod %s it", path, what, perm, fix)
}

// ErrExists is returned by Create for a file that is already there.
var ErrExists = errors.New("exists: it is not overwritten")

// Create writes data to a new file at path that only its owner may use
// (0600). An existing file is never replaced: a secret someone holds a copy
// of must not change under them.
func Create(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %w", path, ErrExists)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
