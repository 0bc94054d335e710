package sim

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
)

// Control characters the line editor understands.
const (
	keyCtrlC     = 0x03
	keyBackspace = 0x08
	keyTab       = 0x09
	keyCtrlU     = 0x15
	keyCtrlZ     = 0x1a
	keyEscape    = 0x1b
	keyCtrlHat   = 0x1e // Cisco's escape sequence: Ctrl-Shift-6
	keyDelete    = 0x7f
)

// cli is one CLI session on a simulated device: a line editor in front of
// a mode stack and the platform's command tables. It runs on one goroutine;
// input arrives in chunks from the session's reader goroutine.
type cli struct {
	ctx  context.Context
	out  io.Writer
	in   <-chan []byte // closed when the client stops sending
	pend []byte        // input received but not yet consumed
	eof  bool          // in is closed
	// echoed is the echo of input not yet written: a pty echoes what it
	// received in one go, not one packet per key (which would cost both
	// ends a packet per character typed).
	echoed []byte

	plat    *platform
	dev     func() *Device // the device's current behaviour (Reload may change it)
	host    string
	user    string // the SSH login
	mode    *mode
	log     *slog.Logger
	started time.Time // for uptime
	now     func() time.Time
	rng     *rand.Rand

	lastCR bool // the previous key was '\r': a '\n' right after it is the same Enter
	esc    int  // position inside an escape sequence (arrow keys)
	exec   bool // one command over an exec channel: no prompt, no echo
	done   bool // the session should end
	failed bool // the last command was refused (exec exit status)
}

// print writes s with every line ending as CRLF, the way a pty does.
func (c *cli) print(s string) {
	c.flushEcho()
	if s == "" {
		return
	}
	_, _ = io.WriteString(c.out, crlf(s))
}

// runShell is the interactive session: banner, then prompt, line, command,
// until the user leaves or the input ends.
func (c *cli) runShell() {
	sb := c.dev().Session
	if !c.slowStart() {
		return
	}
	c.print(c.plat.banner(c))
	if sb.NoPrompt {
		c.mute()
		return
	}
	for !c.done {
		c.print(c.mode.prompt(c))
		line, ok := c.readLine(true)
		if !ok {
			return
		}
		c.print("\n")
		c.execute(line)
	}
}

// runExec runs one command of an exec channel.
func (c *cli) runExec(line string) {
	if c.slowStart() {
		c.execute(line)
	}
}

// next returns the next input byte, waiting for it. It reports false when
// the input has ended or the session is closing.
func (c *cli) next() (byte, bool) {
	for len(c.pend) == 0 {
		c.flushEcho()
		if c.eof {
			return 0, false
		}
		select {
		case <-c.ctx.Done():
			return 0, false
		case b, ok := <-c.in:
			if !ok {
				c.eof = true
				continue
			}
			c.pend = append(c.pend, b...)
		}
	}
	b := c.pend[0]
	c.pend = c.pend[1:]
	return b, true
}

// readLine reads one line, echoing what is typed when echo is set. '\r',
// '\n' and "\r\n" each end the line once; backspace, Ctrl-U and Ctrl-C edit
// it; escape sequences (arrow keys) are swallowed.
func (c *cli) readLine(echo bool) (string, bool) {
	defer c.flushEcho()
	var line []byte
	for {
		b, ok := c.next()
		if !ok {
			return "", false
		}
		cr := c.lastCR
		c.lastCR = b == '\r'
		if c.swallowEscape(b) {
			continue
		}
		switch {
		case b == '\r':
			return string(line), true
		case b == '\n':
			if cr {
				continue
			}
			return string(line), true
		case b == keyBackspace || b == keyDelete:
			if len(line) > 0 {
				line = line[:len(line)-1]
				c.echo(echo, "\b \b")
			}
		case b == keyCtrlU:
			c.echo(echo, strings.Repeat("\b \b", len(line)))
			line = line[:0]
		case b == keyCtrlC:
			c.print("^C")
			return "", true
		case b == keyCtrlZ:
			if cm, err := lookup(c.mode.commands, tokenize("end")); err == nil && cm.syntax == "end" {
				c.print("^Z")
				return "end", true
			}
		case b == keyTab || b < 0x20:
			// completion and other control keys are not simulated
		default:
			line = append(line, b)
			c.echo(echo, string(b))
		}
	}
}

func (c *cli) echo(on bool, s string) {
	if on {
		c.echoed = append(c.echoed, s...)
	}
}

// flushEcho writes the echo of the input consumed so far.
func (c *cli) flushEcho() {
	if len(c.echoed) > 0 {
		_, _ = c.out.Write(c.echoed)
		c.echoed = c.echoed[:0]
	}
}

// swallowEscape consumes ANSI escape sequences such as arrow keys.
func (c *cli) swallowEscape(b byte) bool {
	switch {
	case c.esc == 0 && b == keyEscape:
		c.esc = 1
	case c.esc == 1 && (b == '[' || b == 'O'):
		c.esc = 2
	case c.esc == 1:
		c.esc = 0
	case c.esc == 2 && b >= 0x40 && b <= 0x7e:
		c.esc = 0
	case c.esc == 2:
	default:
		return false
	}
	return true
}

// readSecret asks for a password without echo, like `enable` does.
func (c *cli) readSecret(prompt string) (string, bool) {
	c.print(prompt)
	s, ok := c.readLine(false)
	if ok {
		c.print("\n")
	}
	return s, ok
}

// wait sleeps d, or less when the session closes or the user types the
// platform's interrupt (Ctrl-C, or Cisco's Ctrl-Shift-6). Other keys typed
// meanwhile are kept for the next prompt. It reports whether the full time
// passed.
func (c *cli) wait(d time.Duration) bool {
	if i := bytes.IndexAny(c.pend, "\x03\x1e"); i >= 0 {
		c.pend = c.pend[i+1:] // typed ahead of the command's start
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	in := c.in
	if c.eof {
		in = nil // nothing more will come; wait for the timer
	}
	for {
		select {
		case <-c.ctx.Done():
			return false
		case <-t.C:
			return true
		case b, ok := <-in:
			if !ok {
				c.eof, in = true, nil
				continue
			}
			for i, k := range b {
				if k == keyCtrlC || k == keyCtrlHat {
					c.pend = append(c.pend, b[i+1:]...)
					return false
				}
				c.pend = append(c.pend, k)
			}
		}
	}
}
