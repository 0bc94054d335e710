package sim

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshakeTimeout bounds a client's SSH handshake and authentication.
const handshakeTimeout = 30 * time.Second

// closeGrace is how long a shell that ended waits for the client to close
// the channel after the end of output. scrapligo's standard transport
// reports an error from Close when the server closed the channel first, so
// the server signals the end with EOF and lets the client close; a client
// that never does (OpenSSH waits for the server) is closed after this.
const closeGrace = 500 * time.Millisecond

// listener is one device's port, its connections and sessions.
type listener struct {
	srv    *Server
	name   string
	ln     net.Listener
	cur    atomic.Pointer[Device] // replaced by Reload
	ctx    context.Context        // done when the listener closes
	cancel context.CancelFunc
	log    *slog.Logger

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup // accept loop, connections, sessions
}

func (l *listener) port() int { return l.ln.Addr().(*net.TCPAddr).Port }

// serve starts the accept loop.
func (l *listener) serve() {
	l.wg.Go(func() {
		for {
			conn, err := l.ln.Accept()
			if err != nil {
				return
			}
			if !l.track(conn) {
				_ = conn.Close()
				return
			}
			l.wg.Go(func() { l.handle(conn) })
		}
	})
}

// track records an open connection; it refuses once the listener closes.
func (l *listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ctx.Err() != nil {
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

// close stops accepting, drops every connection and waits for all the
// device's goroutines.
func (l *listener) close() {
	l.cancel()
	_ = l.ln.Close()
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// config is the SSH server configuration, read from the device's current
// behaviour so that a reloaded password applies to the next login.
func (l *listener) config() *ssh.ServerConfig {
	check := func(user, pass string) bool {
		d := l.cur.Load()
		u := subtle.ConstantTimeCompare([]byte(user), []byte(d.Username))
		p := subtle.ConstantTimeCompare([]byte(pass), []byte(d.Password))
		return u&p == 1
	}
	errDenied := errors.New("permission denied")
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(m ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if check(m.User(), string(pw)) {
				return nil, nil
			}
			return nil, errDenied
		},
		KeyboardInteractiveCallback: func(m ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := ask("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			if len(answers) == 1 && check(m.User(), answers[0]) {
				return nil, nil
			}
			return nil, errDenied
		},
		ServerVersion: platforms[l.cur.Load().Platform].sshVersion,
	}
	cfg.AddHostKey(HostKey(l.name))
	return cfg
}

// handle serves one TCP connection: handshake, then its session channels.
func (l *listener) handle(conn net.Conn) {
	defer func() {
		_ = conn.Close()
		l.mu.Lock()
		delete(l.conns, conn)
		l.mu.Unlock()
	}()
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(conn, l.config())
	if err != nil {
		l.log.Info("ssh handshake failed", "remote", conn.RemoteAddr().String(), "err", err)
		return
	}
	_ = conn.SetDeadline(time.Time{})
	log := l.log.With("remote", conn.RemoteAddr().String(), "user", sc.User())
	log.Debug("ssh login")
	l.wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are served")
			continue
		}
		l.wg.Go(func() { l.session(nc, sc.User(), log) })
	}
	log.Debug("ssh logout")
}

// session serves one session channel: pty and env requests are accepted,
// then one shell or exec runs the CLI.
func (l *listener) session(nc ssh.NewChannel, user string, log *slog.Logger) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	var run sync.WaitGroup
	defer run.Wait()
	gone := make(chan struct{}) // closed when the client has closed the channel
	defer close(gone)
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
			run.Go(func() { l.run(ctx, ch, gone, &run, user, exec, cmd.Command, log) })
		default:
			_ = req.Reply(false, nil)
		}
	}
	cancel()
}

// run drives the CLI on a session channel and closes it when the CLI ends.
func (l *listener) run(ctx context.Context, ch ssh.Channel, gone <-chan struct{}, wg *sync.WaitGroup, user string, exec bool, line string, log *slog.Logger) {
	in := make(chan []byte)
	wg.Go(func() { readInput(ctx, ch, in) })
	d := l.cur.Load()
	c := &cli{
		ctx: ctx, out: ch, in: in,
		plat: platforms[d.Platform], dev: l.cur.Load, host: l.name, user: user,
		started: l.srv.started, now: l.srv.now, log: log,
		rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	c.mode = c.plat.start()
	if exec {
		c.runExec(line)
	} else {
		c.runShell()
	}
	status := struct{ Status uint32 }{}
	if c.failed {
		status.Status = 1
	}
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(&status))
	_ = ch.CloseWrite()
	if !exec {
		t := time.NewTimer(closeGrace)
		defer t.Stop()
		select {
		case <-gone:
		case <-t.C:
		case <-ctx.Done():
		}
	}
	_ = ch.Close()
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
