package sim

import (
	"strings"
	"time"
)

// GarbageLine is what `ping <target>` prints for a target whose behaviour is
// garbage: a "%" error line (so a CLI error) holding bytes that are not
// UTF-8 (0xff, 0xfe, a cut multi-byte sequence) and ANSI escape sequences
// (colour, a window title, erase line), as a broken router or a terminal
// server in the path may send. The prompt follows as usual.
const GarbageLine = "% \x1b[1;31mError\x1b[0m: ping \xff\xfe failed \xc3\x28 reply \xe2\x82" +
	"\x1b]0;sim-garbage\x07 \x80\x1b[2K\x1b[0m\n"

// floodProbes is how many probes the repeated block of a flood holds: ten of
// IOS's 70-mark lines, a few tens of KiB on the platforms that print a line
// per reply.
const floodProbes = 700

// flood prints run's header, then the same block of replies again and
// again until the client disconnects or the session ends; the command never
// returns. The block is rendered once, so however long the flood runs the
// simulator holds only that block, and the SSH window paces the writes: a
// client that stops reading stops the flood, it does not fill memory.
// Sequence numbers repeat from one block to the next.
func (c *cli) flood(run *pingRun) {
	c.print(c.plat.render.header(run))
	var b strings.Builder
	for range floodProbes {
		b.WriteString(c.plat.render.probe(run, run.next()))
	}
	block := []byte(crlf(b.String()))
	for c.ctx.Err() == nil {
		if _, err := c.out.Write(block); err != nil {
			break
		}
	}
	c.done = true
}

// hang prints nothing: the command never returns and the prompt never comes
// back. What the client types meanwhile is left unread; the session ends
// only when the client closes it (or the device goes away).
func (c *cli) hang() {
	<-c.ctx.Done()
	c.done = true
}

// crlf turns every line ending of s into CRLF, the way a pty does.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// slowStart waits the device's slow banner, if any, before a session shows
// anything; what is typed meanwhile stays unread. It reports false when
// the session ended first.
func (c *cli) slowStart() bool {
	d := c.dev().Session.SlowBanner
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// mute is a shell that never shows a prompt: it reads what is typed and
// drops it, printing nothing, until the client stops sending.
func (c *cli) mute() {
	for {
		if _, ok := c.next(); !ok {
			return
		}
	}
}
