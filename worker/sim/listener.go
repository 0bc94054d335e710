package sim

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshakeTimeout bounds a client's SSH handshake and authentication.
const handshakeTimeout = 30 * time.Second

// listener is the port of one device or bastion, its connections and
// their sessions or forwards.
type listener struct {
	srv     *Server
	name    string
	bastion bool // a jump host: forwards to the devices, serves no CLI
	ln      net.Listener
	cur     atomic.Pointer[Device] // replaced by Reload
	ctx     context.Context        // done when the listener closes
	cancel  context.CancelFunc
	log     *slog.Logger
	auth    *authGuard // logins and their record; a new listener for the device takes it over
	vty     *vty       // connections logged in; a new listener for the device takes it over too
	// forwards is a bastion's record of forwards, taken over likewise.
	forwards *forwardLog

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
// behaviour so that a reloaded password, algorithm set or host key applies
// to the next connection.
func (l *listener) config() *ssh.ServerConfig {
	d := l.cur.Load()
	version := bastionVersion
	if !l.bastion {
		version = platformFor(d.Platform).sshVersion
	}
	cfg := &ssh.ServerConfig{ServerVersion: version}
	d.SSH.Algorithms.apply(&cfg.Config)
	for _, k := range d.HostKeys() {
		cfg.AddHostKey(d.SSH.Algorithms.hostKey(k))
	}
	l.authCallbacks(cfg, d.Login)
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
	defer l.vty.login()()
	if !l.bastion {
		defer l.srv.vty.login()() // the fleet's sessions are its devices'
	}
	log := l.log.With("remote", conn.RemoteAddr().String(), "user", sc.User())
	log.Debug("ssh login")
	l.wg.Go(func() { ssh.DiscardRequests(reqs) })
	for nc := range chans {
		switch t := nc.ChannelType(); {
		case l.bastion && t == "direct-tcpip":
			l.wg.Go(func() { l.forward(nc, sc.User(), log) })
		case l.bastion:
			_ = nc.Reject(ssh.UnknownChannelType, "a jump host: only direct-tcpip channels are served")
		case t == "session":
			l.wg.Go(func() { l.session(nc, sc.User(), log) })
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels are served")
		}
	}
	log.Debug("ssh logout")
}
