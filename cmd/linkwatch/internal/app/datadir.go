package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/proto/filelock"
)

// dataDirLock is the file under data_dir that `linkwatch run` holds
// locked for as long as it runs.
const dataDirLock = "linkwatch.lock"

// LockDataDir takes data_dir for this process before anything in it is
// touched: the embedded NATS server's JetStream store and the embedded
// state store must never be opened by two processes, and the second must
// learn it before it starts a server on the first one's files. The lock
// file says which process holds it (pid and start time); the lock itself
// ends with that process, however it ends. release unlocks it.
func LockDataDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, dataDirLock)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data_dir %s: open lock file: %w", dir, err)
	}
	if err := filelock.Lock(f); err != nil {
		holder := lockHolder(f)
		f.Close()
		if errors.Is(err, filelock.ErrLocked) {
			return nil, fmt.Errorf("data_dir %s is in use by another linkwatch run (%s): stop it, or give this one a data_dir of its own", dir, holder)
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return func() {}, nil
		}
		return nil, fmt.Errorf("data_dir %s: %w", dir, err)
	}
	stamp := fmt.Sprintf("pid %d, started %s", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(stamp+"\n"), 0)
	}
	return func() { f.Close() }, nil
}

// lockHolder is what the lock file says of its holder, at most one short line.
func lockHolder(f *os.File) string {
	b, _ := io.ReadAll(io.LimitReader(f, 128))
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, line)
	if line == "" {
		return "holder unknown"
	}
	return line
}
