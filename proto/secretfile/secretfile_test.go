package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateAndCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := Create(path, []byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	if err := Check(path); err != nil {
		t.Errorf("Check of a file Create wrote: %v", err)
	}
	if err := Create(path, []byte("other")); !errors.Is(err, ErrExists) {
		t.Errorf("Create over an existing file: %v, want ErrExists", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "s3cret" {
		t.Errorf("the existing file was changed to %q", data)
	}
	tests := []struct {
		path string
		mode os.FileMode
		want string
	}{
		{path, 0o644, "is readable by group or others (mode 0644): chmod 600 it"},
		{path, 0o620, "is accessible by group or others (mode 0620): chmod 600 it"},
		{dir, 0o755, "is readable by group or others (mode 0755): chmod 700 it"},
	}
	for _, tt := range tests {
		if err := os.Chmod(tt.path, tt.mode); err != nil {
			t.Fatal(err)
		}
		err := Check(tt.path)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Check(%s, mode %04o) = %v, want %q", tt.path, tt.mode, err, tt.want)
		}
		if err := os.Chmod(tt.path, map[bool]os.FileMode{true: 0o700, false: 0o600}[tt.path == dir]); err != nil {
			t.Fatal(err)
		}
	}
}
