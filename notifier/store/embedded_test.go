package store_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/notifier/store"
	"github.com/linkwatch/linkwatch/notifier/store/storetest"
)

func openEmbedded(t *testing.T, path string) *store.Embedded {
	t.Helper()
	s, err := store.OpenEmbedded(path)
	if err != nil {
		t.Fatalf("OpenEmbedded: %v", err)
	}
	return s
}

func TestEmbedded(t *testing.T) {
	storetest.Run(t, func(t *testing.T) state.Store {
		return openEmbedded(t, filepath.Join(t.TempDir(), "state.db"))
	})
}

func TestEmbeddedPersistence(t *testing.T) {
	storetest.RunPersistence(t, func(t *testing.T) (state.Store, func() state.Store) {
		// A directory that does not exist yet, as data_dir on a first run.
		path := filepath.Join(t.TempDir(), "data", "state.db")
		return openEmbedded(t, path), func() state.Store { return openEmbedded(t, path) }
	})
}

func TestEmbeddedLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s := openEmbedded(t, path)
	defer s.Close()
	second, err := store.OpenEmbedded(path)
	if err == nil {
		second.Close()
		t.Fatal("opened the state store twice")
	}
	want := "state store " + path + " is locked by another process (is linkwatch already running?)"
	if err.Error() != want {
		t.Errorf("second open: %q, want %q", err, want)
	}
}

func TestEmbeddedBadPath(t *testing.T) {
	dir := t.TempDir()
	_, err := store.OpenEmbedded(dir) // a directory, not a file
	if err == nil || !strings.Contains(err.Error(), "open state store "+dir) {
		t.Errorf("opening a directory: %v, want an error naming it", err)
	}
}
