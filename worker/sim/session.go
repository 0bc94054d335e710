package sim

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// closeGrace is how long a shell that ended waits for the client to close
// the channel after the end of output. scrapligo's standard transport
// reports an error from Close when the server closed the channel first, so
// the server signals the end with EOF and lets the client close; a client
// that never does (OpenSSH waits for the server) is closed after this.
const closeGrace = 500 * time.Millisecond

// session is one SSH session channel on a device.
type session struct {
	l    *listener
	ch   ssh.Channel
	user string
	log  *slog.Logger
	ctx  context.Context // done when the client closed the channel or the device closes
	gone chan struct{}   // closed when the client has closed the channel
	wg   sync.WaitGroup  // the CLI and its input reader
}

// session serves one session channel: pty and env requests are accepted,
// then one shell or exec runs the CLI.
func (l *listener) session(nc ssh.NewChannel, user string, log *slog.Logger) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(l.ctx)
	s := &session{l: l, ch: ch, user: user, log: log, ctx: ctx, gone: make(chan struct{})}
	s.serve(reqs)
	close(s.gone)
	cancel()
	s.wg.Wait()
}

// serve answers the channel's requests until the client closes it.
func (s *session) serve(reqs <-chan *ssh.Request) {
	started := false
	for req := range reqs {
		switch req.Type {
		case "pty-req", "env", "window-change":
			_ = req.Reply(true, nil)
		case "shell", "exec":
			var cmd struct{ Command string }
			if started || req.Type == "exec" && ssh.Unmarshal(req.Payload, &cmd) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			started = true
			_ = req.Reply(true, nil)
			exec := req.Type == "exec"
			s.wg.Go(func() { s.run(exec, cmd.Command) })
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// run drives the CLI, a shell or one exec command, and ends the channel
// when the CLI is done.
func (s *session) run(exec bool, line string) {
	in := make(chan []byte)
	s.wg.Go(func() { readInput(s.ctx, s.ch, in) })
	c := &cli{
		ctx: s.ctx, out: s.ch, in: in, exec: exec,
		plat: platformFor(s.l.cur.Load().Platform), dev: s.l.cur.Load, host: s.l.name, user: s.user,
		started: s.l.srv.started, now: s.l.srv.now, log: s.log,
		rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	c.mode = c.plat.login(c.dev())
	if exec {
		c.runExec(line)
	} else {
		c.runShell()
	}
	if s.l.ctx.Err() != nil {
		return // the device is going away: its connections drop, no clean exit
	}
	s.end(c.failed, exec)
}

// end sends the exit status and EOF; a shell then gives the client
// closeGrace to close the channel itself before the server does.
func (s *session) end(failed, exec bool) {
	status := struct{ Status uint32 }{}
	if failed {
		status.Status = 1
	}
	_, _ = s.ch.SendRequest("exit-status", false, ssh.Marshal(&status))
	_ = s.ch.CloseWrite()
	if !exec {
		t := time.NewTimer(closeGrace)
		defer t.Stop()
		select {
		case <-s.gone:
		case <-t.C:
		case <-s.ctx.Done():
		}
	}
	_ = s.ch.Close()
}

// readInput copies what the client types into in, in chunks, until the
// channel ends or the session is over.
func readInput(ctx context.Context, ch ssh.Channel, in chan<- []byte) {
	defer close(in)
	buf := make([]byte, 1024)
	for {
		n, err := ch.Read(buf)
		if n > 0 {
			select {
			case in <- append([]byte(nil), buf[:n]...):
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			return
		}
	}
}
