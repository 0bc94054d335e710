package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scrapli/scrapligo/transport"
	"golang.org/x/crypto/ssh"
)

// sshTransport is a scrapligo transport over golang.org/x/crypto/ssh, like
// scrapligo's own "standard" transport, with three things that transport
// lacks and a monitoring worker needs:
//   - the TCP dial honours a context, and the SSH handshake has a deadline
//     (scrapligo's Open blocks forever on a device that accepts TCP and never
//     speaks SSH);
//   - abort closes the connection from another goroutine, so a context
//     cancellation unblocks any scrapligo read in progress;
//   - it records which stage failed and whether our password was offered and
//     the host key checked, so failures are classified from facts, not from
//     error strings;
//   - it offers the password once per connection, whatever methods the
//     device allows (passwordOnce).
type sshTransport struct {
	ctx     context.Context
	addr    string
	cfg     *ssh.ClientConfig
	timeout time.Duration // dial + handshake
	jump    *jumpHop      // the way through the device's jump host; nil: dial directly

	authOffered  atomic.Bool
	loggedIn     atomic.Bool // the device accepted the login
	hostKeyError atomic.Pointer[error]

	// limit caps the bytes the device may send in answer to one write
	// (one command); pending counts them since the last write. Past the
	// limit the connection is closed and overflow set: a device that
	// floods must not take the worker's memory with it.
	limit    int64
	pending  atomic.Int64
	overflow atomic.Bool

	// buf is the one buffer Read reads into, of scrapligo's read size
	// (8 KiB): a fresh one per read was most of the bytes a probe
	// allocated. scrapligo reads from one goroutine, under its transport
	// lock, and copies what Read returns before it reads again.
	buf []byte

	// arrived is signalled each time scrapligo's read loop calls Read
	// (by then it has queued what the previous Read returned) and when a
	// Read fails; readFailed is set once one has. sendCommand sleeps on
	// it instead of polling the queue.
	arrived    chan struct{}
	readFailed atomic.Bool

	mu      sync.Mutex
	conn    net.Conn
	client  *ssh.Client
	session *ssh.Session
	stdin   io.WriteCloser
	stdout  io.Reader
	aborted bool
}

var _ transport.Implementation = (*sshTransport)(nil)

// Stage errors wrap the underlying error with the stage that failed.
type dialError struct{ err error }
type handshakeError struct{ err error }

func (e *dialError) Error() string      { return "connect: " + e.err.Error() }
func (e *dialError) Unwrap() error      { return e.err }
func (e *handshakeError) Error() string { return "ssh handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

func newSSHTransport(ctx context.Context, d Device, hostKey ssh.HostKeyCallback, firstHostKeyAlgos []string, timeout time.Duration, limit int64) *sshTransport {
	t := &sshTransport{
		ctx:     ctx,
		addr:    net.JoinHostPort(d.Host, strconv.Itoa(d.Port)),
		timeout: timeout,
		limit:   limit,
		arrived: make(chan struct{}, 1),
	}
	t.cfg = &ssh.ClientConfig{
		User: d.Username,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			err := hostKey(host, remote, key)
			if err != nil {
				t.hostKeyError.Store(&err)
			}
			return err
		},
		Timeout: timeout,
	}
	t.cfg.Auth, t.cfg.AuthCallback = t.passwordOnce(d)
	d.Algorithms.apply(t.cfg)
	if len(firstHostKeyAlgos) > 0 {
		// The listed or pinned key's algorithms first, so a device with
		// several keys presents that one; then the rest, so a device that
		// now has only another key reaches the check and reads as a
		// changed key, not as a failed negotiation.
		rest := t.cfg.HostKeyAlgorithms
		if rest == nil {
			rest = ssh.SupportedAlgorithms().HostKeys
		}
		t.cfg.HostKeyAlgorithms = Algorithms{HostKeys: firstHostKeyAlgos}.Add(Algorithms{HostKeys: rest}).HostKeys
	}
	return t
}

// Open dials, handshakes and starts an interactive shell on a pty.
func (t *sshTransport) Open(a *transport.Args) error {
	client, err := t.connect()
	if err != nil {
		return err
	}
	if err := t.startShell(client, a); err != nil {
		t.Close() // scrapligo does not close a transport whose Open failed
		return err
	}
	return nil
}

// connect dials and runs the SSH handshake, host key check and login
// included, within one deadline. Through a jump host, the jump host is
// logged in to first, within a deadline of its own.
func (t *sshTransport) connect() (*ssh.Client, error) {
	if err := t.jump.open(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(t.timeout)
	conn, err := t.dial(deadline)
	if err != nil {
		return nil, err
	}
	if !t.setConn(conn) {
		conn.Close()
		return nil, &dialError{context.Cause(t.ctx)}
	}
	_ = conn.SetDeadline(deadline)
	c, chans, reqs, err := ssh.NewClientConn(conn, t.addr, t.cfg)
	if err != nil {
		conn.Close()
		return nil, &handshakeError{err}
	}
	_ = conn.SetDeadline(time.Time{})
	t.loggedIn.Store(true)
	client := ssh.NewClient(c, chans, reqs)
	t.mu.Lock()
	t.client = client
	t.mu.Unlock()
	return client, nil
}

// dial connects to the device by deadline: directly, or over a channel
// from its jump host.
func (t *sshTransport) dial(deadline time.Time) (net.Conn, error) {
	if t.jump != nil {
		return t.jump.forward(t.ctx, t.addr, deadline)
	}
	dialer := net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(t.ctx, "tcp", t.addr)
	if err != nil {
		return nil, &dialError{err}
	}
	return conn, nil
}

func (t *sshTransport) startShell(client *ssh.Client, a *transport.Args) error {
	session, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("open session: %w", err)
	}
	stdin, err := session.StdinPipe()
	if err != nil {
		return fmt.Errorf("open session stdin: %w", err)
	}
	stdout, err := session.StdoutPipe()
	if err != nil {
		return fmt.Errorf("open session stdout: %w", err)
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 115200, ssh.TTY_OP_OSPEED: 115200}
	if err := session.RequestPty("xterm", a.TermHeight, a.TermWidth, modes); err != nil {
		return fmt.Errorf("request pty: %w", err)
	}
	if err := session.Shell(); err != nil {
		return fmt.Errorf("start shell: %w", err)
	}
	t.mu.Lock()
	t.session, t.stdin, t.stdout = session, stdin, stdout
	t.mu.Unlock()
	return nil
}

// setConn records the connection unless the transport was already aborted.
func (t *sshTransport) setConn(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aborted {
		return false
	}
	t.conn = c
	return true
}

// abort closes the connection from any goroutine; blocked reads and the
// handshake return at once.
func (t *sshTransport) abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.aborted = true
	if t.conn != nil {
		t.conn.Close()
	}
}

// Close ends the session and the connection. The device often drops the
// session first; that is not an error worth reporting.
func (t *sshTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.session != nil {
		_ = t.session.Close()
	}
	if t.client != nil {
		_ = t.client.Close()
	}
	if t.conn != nil {
		_ = t.conn.Close()
	}
	t.session, t.client, t.stdin, t.stdout = nil, nil, nil, nil
	return nil
}

// IsAlive reports whether a shell session is open.
func (t *sshTransport) IsAlive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.session != nil
}

// Read reads up to n bytes of the shell's output into the transport's
// buffer. What it returns is valid until the next Read: scrapligo's read
// loop copies it at once (its carriage-return strip returns a copy), and
// calls Read from one goroutine at a time. Each call, and each failure,
// is signalled on arrived.
func (t *sshTransport) Read(n int) ([]byte, error) {
	t.signal()
	b, err := t.read(n)
	if err != nil {
		t.readFailed.Store(true)
		t.signal()
	}
	return b, err
}

// signal wakes a sendCommand waiting on arrived, if any.
func (t *sshTransport) signal() {
	select {
	case t.arrived <- struct{}{}:
	default:
	}
}

func (t *sshTransport) read(n int) ([]byte, error) {
	t.mu.Lock()
	r := t.stdout
	t.mu.Unlock()
	if r == nil {
		return nil, io.EOF
	}
	if cap(t.buf) < n {
		t.buf = make([]byte, n)
	}
	b := t.buf[:n]
	n, err := r.Read(b)
	if n > 0 {
		if t.limit > 0 && t.pending.Add(int64(n)) > t.limit {
			t.overflow.Store(true)
			t.abort()
			return nil, &outputLimitError{limit: t.limit}
		}
		return b[:n], nil
	}
	if err == nil {
		return nil, nil
	}
	if errors.Is(err, net.ErrClosed) {
		return nil, io.EOF
	}
	return nil, err
}

// Write sends b to the shell.
func (t *sshTransport) Write(b []byte) error {
	t.mu.Lock()
	w := t.stdin
	t.mu.Unlock()
	if w == nil {
		return io.ErrClosedPipe
	}
	t.pending.Store(0)
	_, err := w.Write(b)
	return err
}

// outputLimitError is a device that sent more than the limit in answer to
// one command.
type outputLimitError struct{ limit int64 }

func (e *outputLimitError) Error() string {
	return fmt.Sprintf("the device sent more than %s in answer to one command; session closed", byteSize(e.limit))
}

// byteSize prints n bytes in the largest whole binary unit.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// keepAlive sends an SSH keepalive and waits for its answer (any answer:
// a server that does not know the request refuses it, which shows it is
// alive) for at most timeout, after which the connection is aborted. It
// reports whether the connection answered.
func (t *sshTransport) keepAlive(timeout time.Duration) bool {
	t.mu.Lock()
	c := t.client
	t.mu.Unlock()
	if c == nil {
		return false
	}
	timer := time.AfterFunc(timeout, t.abort)
	defer timer.Stop()
	_, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
	return err == nil
}
