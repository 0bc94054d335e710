package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLockDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	release, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open file descriptions: a second open in this
	// process is refused like another process would be.
	_, err = LockDataDir(dir)
	if err == nil || !strings.Contains(err.Error(), "is in use by another linkwatch run (pid ") ||
		!strings.Contains(err.Error(), dir) {
		t.Fatalf("second lock: %v", err)
	}
	release()
	release2, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release2()
}

func TestLockDataDirHolderTextIsSanitised(t *testing.T) {
	dir := t.TempDir()
	release, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// Whatever the file holds (another tool's bytes), the error carries one
	// short printable line of it.
	if err := os.WriteFile(filepath.Join(dir, dataDirLock), []byte("evil\x1b[2J"+strings.Repeat("x", 500)+"\nsecond line"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LockDataDir(dir)
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\n") || strings.Contains(err.Error(), "second line") ||
		len(err.Error()) > 400 {
		t.Fatalf("second lock: %q", err)
	}
}
