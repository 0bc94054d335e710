package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/emersion/go-smtp"
)

// runSink is `chaos smtp-sink --listen ADDR --dir DIR`: an SMTP server
// without TLS or AUTH that writes every message it accepts to a file of
// its own in DIR, named after the time it arrived, and answers 250 only
// once the file and the directory entry are on disk (fsync). So a message
// the notifier saw accepted survives a SIGKILL of the sink, and one the
// sink died before acknowledging is the notifier's to send again.
func runSink(args []string, errOut io.Writer) error {
	fs := flag.NewFlagSet("smtp-sink", flag.ContinueOnError)
	fs.SetOutput(errOut)
	listen := fs.String("listen", "127.0.0.1:2525", "address to listen on")
	dir := fs.String("dir", "", "directory the accepted messages are written to")
	crash := fs.Float64("crash-after-store", 0, "the chance (0..1) of exiting with status 3 after a message is stored, before it is acknowledged")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("smtp-sink: --dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	srv := smtp.NewServer(&sinkBackend{dir: *dir, crash: *crash})
	srv.Addr = *listen
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 1 << 20
	fmt.Fprintf(errOut, "smtp-sink: listening on %s, writing to %s\n", *listen, *dir)
	return srv.ListenAndServe()
}

type sinkBackend struct {
	dir   string
	crash float64
}

func (b *sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &sinkSession{sinkBackend: b}, nil
}

type sinkSession struct{ *sinkBackend }

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }

// Data stores the message durably before the server answers 250.
func (s *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	if err := storeMessage(s.dir, time.Now(), data); err != nil {
		return err
	}
	if s.crash > 0 && rand.Float64() < s.crash {
		// The worst moment to die: stored, but never acknowledged, so
		// the client must send it again.
		fmt.Fprintln(os.Stderr, "smtp-sink: exiting after storing a message, before answering 250 (--crash-after-store)")
		os.Exit(3)
	}
	return nil
}

// storeMessage writes data to dir/<unix ns>-<random>.eml through a temporary
// file, syncing the file, then the directory after the rename.
func storeMessage(dir string, at time.Time, data []byte) error {
	name := fmt.Sprintf("%020d-%08x.eml", at.UnixNano(), rand.Uint32())
	tmp, err := os.CreateTemp(dir, ".incoming-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
