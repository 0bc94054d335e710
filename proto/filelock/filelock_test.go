//go:build unix

package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := open(), open()
	defer b.Close()
	if err := Lock(a); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	// flock locks belong to open file descriptions: a second one is
	// refused in this process as in another.
	if err := Lock(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	a.Close() // the lock ends with the file
	if err := Lock(b); err != nil {
		t.Fatalf("lock after the holder closed: %v", err)
	}
}
