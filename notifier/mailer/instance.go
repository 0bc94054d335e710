package mailer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/linkwatch/linkwatch/proto/filelock"
)

// maxInstances bounds the notifiers that keep their identity in one
// directory at once (several on one host with the same data_dir).
const maxInstances = 16

// instanceID is the mailer lease owner id of this notifier: the host name
// and a token kept in dir, so that a notifier restarted on the same host
// with the same data directory is the same owner and takes its own lease
// back at once. Each token lives in its own file, locked while a notifier
// uses it: two notifiers sharing dir take two slots and never share an
// id, and a killed one's lock goes with its process. release unlocks the
// slot. With no dir, or one that cannot be used, the id is random and
// lasts one run (a restart then waits for the lease to expire).
func instanceID(dir string, log *slog.Logger) (id string, release func()) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "notifier"
	}
	if dir == "" {
		return host + "-" + token(), func() {}
	}
	tok, release, err := lockSlot(dir)
	if err != nil {
		log.Warn("mailer lease: no lasting instance id; a restart waits for the lease to expire", "dir", dir, "err", err)
		return host + "-" + token(), func() {}
	}
	return host + "-" + tok, release
}

// lockSlot takes the first instance slot of dir no live process holds,
// making its token if it has none.
func lockSlot(dir string) (tok string, release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("make instance directory: %w", err)
	}
	for slot := range maxInstances {
		tok, release, err := openSlot(filepath.Join(dir, fmt.Sprintf("notifier-%d.id", slot)))
		if !errors.Is(err, filelock.ErrLocked) {
			return tok, release, err
		}
	}
	return "", nil, fmt.Errorf("all %d instance slots of %s are in use", maxInstances, dir)
}

// openSlot locks the slot file path and reads its token, writing a new
// one into an empty file.
func openSlot(path string) (tok string, release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("open instance slot: %w", err)
	}
	if err := filelock.Lock(f); err != nil {
		f.Close()
		return "", nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 64))
	tok = strings.TrimSpace(string(b))
	if err == nil && tok == "" {
		tok = token()
		if _, err = f.WriteAt([]byte(tok+"\n"), 0); err == nil {
			err = f.Sync()
		}
	}
	if err != nil {
		f.Close()
		return "", nil, fmt.Errorf("instance slot %s: %w", path, err)
	}
	return tok, func() { f.Close() }, nil
}

func token() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
