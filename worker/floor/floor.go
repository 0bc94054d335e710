// Package floor is the floor the worker's probe path is measured against:
// the same probe done by a bare golang.org/x/crypto/ssh shell client, with
// nothing between it and the SSH channel. It connects, logs in with a
// password, asks for a pty and a shell, waits for the prompt, types each
// line of a probe's script (worker.ScriptFor) and waits for the prompt
// after each, and closes. The probe-path benchmark of package worker and
// `linkwatch bench --mode baseline-ssh` both run it.
package floor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"

	"golang.org/x/crypto/ssh"
)

// MaxOutput bounds what a device may send before a prompt: the login
// banner and the answer to each line.
const MaxOutput = 1 << 20

// readSize is the read buffer, scrapligo's read size.
const readSize = 8 << 10

// errTooMuch is a device that sent MaxOutput bytes without a prompt.
var errTooMuch = fmt.Errorf("more than %d bytes without a prompt", MaxOutput)

// Probe logs in to the device at addr (host:port) with cfg, waits for
// prompt, types each of lines and waits for prompt after it, and closes.
// ctx bounds all of it, the connection and the SSH handshake included: it
// returns when ctx ends, with ctx's error.
func Probe(ctx context.Context, addr string, cfg *ssh.ClientConfig, prompt *regexp.Regexp, lines []string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	err = login(conn, addr, cfg, prompt, lines)
	if ctx.Err() != nil {
		return fmt.Errorf("probe %s: %w", addr, ctx.Err())
	}
	return err
}

// login runs the SSH handshake over conn, then one probe's shell.
func login(conn net.Conn, addr string, cfg *ssh.ClientConfig, prompt *regexp.Regexp, lines []string) error {
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		return fmt.Errorf("ssh handshake with %s: %w", addr, err)
	}
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	return session(client, prompt, lines)
}

// session runs the shell of one probe over client.
func session(client *ssh.Client, prompt *regexp.Regexp, lines []string) error {
	s, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	defer s.Close()
	in, err := s.StdinPipe()
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	if err := s.RequestPty("xterm", 255, 511, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return fmt.Errorf("request pty: %w", err)
	}
	if err := s.Shell(); err != nil {
		return fmt.Errorf("start shell: %w", err)
	}
	r := &reader{out: out, prompt: prompt, buf: make([]byte, readSize)}
	if err := r.untilPrompt(); err != nil {
		return fmt.Errorf("wait for the first prompt: %w", err)
	}
	for _, l := range lines {
		if _, err := in.Write([]byte(l + "\n")); err != nil {
			return fmt.Errorf("send %q: %w", l, err)
		}
		if err := r.untilPrompt(); err != nil {
			return fmt.Errorf("wait for the prompt after %q: %w", l, err)
		}
	}
	return nil
}

// reader reads a shell's output up to its prompt, carriage returns left
// out as scrapligo leaves them out.
type reader struct {
	out    io.Reader
	prompt *regexp.Regexp
	buf    []byte
	got    []byte
}

func (r *reader) untilPrompt() error {
	r.got = r.got[:0]
	for {
		n, err := r.out.Read(r.buf)
		for _, b := range r.buf[:n] {
			if b != '\r' {
				r.got = append(r.got, b)
			}
		}
		if r.prompt.Match(r.got) {
			return nil
		}
		if len(r.got) > MaxOutput {
			return errTooMuch
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("closed without a prompt: %q", tail(r.got))
		}
		if err != nil {
			return err
		}
	}
}

// tail is the end of what was read, for an error.
func tail(b []byte) []byte {
	if len(b) > 200 {
		return b[len(b)-200:]
	}
	return b
}
