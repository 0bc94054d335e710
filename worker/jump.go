package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/proto"
)

// JumpHost is an SSH bastion a device is reached through, as operators
// without a worker in every network segment reach their routers: the
// worker logs in to the jump host with the jump host's own credential,
// opens a direct-tcpip channel from it to the device, and runs the
// device's SSH handshake and login over that channel. The zero value is
// no jump host: the device is dialled directly.
//
// Credential names the jump host's login; Username and Password hold it
// once resolved (Device.WithCredentials), just before the probe.
type JumpHost struct {
	Name       string
	Host       string
	Port       int
	Credential string
	Username   string
	Password   string
	// Algorithms are SSH algorithms offered to the jump host besides the
	// defaults.
	Algorithms Algorithms
}

// Set reports whether there is a jump host.
func (j JumpHost) Set() bool { return j.Name != "" }

// Device is the jump host as a device of site: what the host key policy
// is asked about (the jump host's key is pinned beside the site's
// devices, under its own name) and what its own transport dials and logs
// in to.
func (j JumpHost) Device(site string) Device {
	return Device{Name: j.Name, Site: site, Host: j.Host, Port: j.Port, Credential: j.Credential,
		Username: j.Username, Password: j.Password, Algorithms: j.Algorithms}
}

// validate checks what of j reaches the network.
func (j JumpHost) validate() error {
	if err := proto.ValidName(j.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if err := proto.ValidTarget(j.Host); err != nil {
		return fmt.Errorf("host: %w", err)
	}
	if j.Port < 1 || j.Port > 65535 {
		return fmt.Errorf("port: %d is out of range (1..65535)", j.Port)
	}
	return nil
}

// withCredentials resolves j's login by creds.
func (j *JumpHost) withCredentials(creds Credentials) error {
	login, err := creds(j.Credential)
	if err != nil {
		return fmt.Errorf("resolve credential %q of jump host %s: %w", j.Credential, j.Name, err)
	}
	j.Username, j.Password = login.Username, login.Password
	return nil
}

// jumpHop is the way to a device through its jump host: the jump host's
// own transport (its dial, handshake and login, bounded by its own connect
// timeout and ctx, and the facts that classify their failures) and, once
// logged in, its client, from which channels to the device are opened.
// The jump host is logged in to once however many channels are opened.
type jumpHop struct {
	name, credential string
	tr               *sshTransport
	stop             func() bool // ends the abort of tr when ctx ends

	once   sync.Once
	client *ssh.Client
	err    error
}

// jumpHop returns the way to d through its jump host, nil for a device
// reached directly. The jump host's key is checked by p's policy, as a
// device of d's site named after the jump host.
func (p *Prober) jumpHop(ctx context.Context, d Device) (*jumpHop, error) {
	if !d.Jump.Set() {
		return nil, nil
	}
	jd := d.Jump.Device(d.Site)
	check, first, err := p.hostKeys(ctx, jd)
	if err != nil {
		return nil, fmt.Errorf("jump host %s: %w", d.Jump.Name, err)
	}
	tr := newSSHTransport(ctx, jd, check, first, p.connectTimeout(), 0)
	return &jumpHop{name: d.Jump.Name, credential: d.Jump.Credential, tr: tr, stop: context.AfterFunc(ctx, tr.abort)}, nil
}

// open logs in to the jump host, the first time it is called; a nil hop
// (a device reached directly) has nothing to open.
func (h *jumpHop) open() error {
	if h == nil {
		return nil
	}
	h.once.Do(func() {
		h.client, h.err = h.tr.connect()
		if h.err != nil {
			h.err = &jumpError{hop: h, err: h.err}
		}
	})
	return h.err
}

// forward opens a channel from the jump host to addr, by deadline.
func (h *jumpHop) forward(ctx context.Context, addr string, deadline time.Time) (net.Conn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := h.client.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &jumpError{hop: h, target: addr, err: err}
	}
	return &channelConn{Conn: conn}, nil
}

// close ends the connection to the jump host; nil is a no-op.
func (h *jumpHop) close() {
	if h == nil {
		return
	}
	h.stop()
	_ = h.tr.Close()
}

// jumpError is a failure on the way through a jump host: reaching it, its
// handshake or login (err, from its own transport) or, with target set,
// its channel to the device. It is the jump host's failure, never read as
// the device's.
type jumpError struct {
	hop    *jumpHop
	target string // the device's host:port the jump host could not reach
	err    error
}

func (e *jumpError) Error() string {
	if e.target != "" {
		return fmt.Sprintf("jump host %s could not reach %s: %v", e.hop.name, e.target, e.err)
	}
	return fmt.Sprintf("jump host %s: %v", e.hop.name, e.err)
}

func (e *jumpError) Unwrap() error { return e.err }

// kind classifies the failure: as the jump host's own transport's, or,
// for the channel to the device, UNREACHABLE (the jump host refused it,
// as administratively prohibited or because its connect failed) unless
// time ran out.
func (e *jumpError) kind(ctx context.Context) FailureKind {
	if e.target == "" {
		return classifyOpen(ctx, e.hop.tr, e.err)
	}
	if ctx.Err() != nil || isTimeout(e.err) {
		return FailureTimeout
	}
	return FailureUnreachable
}

// text says which jump host failed and how, naming its credential when it
// refused the login, and never a password.
func (e *jumpError) text(ctx context.Context) string {
	h := e.hop
	if e.target != "" {
		return failureText(ctx, h.tr, fmt.Sprintf("jump host %s could not reach %s", h.name, e.target), e.err)
	}
	at := fmt.Sprintf("jump host %s (%s)", h.name, h.tr.addr)
	if text, ok := negotiationText(e.err, "jump host", "jump_hosts."+h.name+".ssh"); ok {
		return at + ": " + text
	}
	if e.kind(ctx) == FailureAuth {
		return fmt.Sprintf("%s refused the login of credential %q: %v", at, h.credential, e.err)
	}
	return failureText(ctx, h.tr, at, e.err)
}

// asJumpError finds a jump host's failure in err.
func asJumpError(err error) (*jumpError, bool) {
	var je *jumpError
	return je, errors.As(err, &je)
}

// channelConn is a channel through a jump host as a net.Conn whose
// deadline works (x/crypto's refuses deadlines), so that the device's
// handshake over it is bounded as one over TCP is. When the deadline
// passes the channel is closed, and reads and writes fail with
// os.ErrDeadlineExceeded.
type channelConn struct {
	net.Conn

	mu      sync.Mutex
	timer   *time.Timer
	expired atomic.Bool
}

// SetDeadline closes the channel at t; the zero time cancels that.
func (c *channelConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	if !t.IsZero() {
		c.timer = time.AfterFunc(time.Until(t), func() {
			c.expired.Store(true)
			_ = c.Conn.Close()
		})
	}
	return nil
}

func (c *channelConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	return n, c.cause(err)
}

func (c *channelConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	return n, c.cause(err)
}

// Close closes the channel and stops its deadline.
func (c *channelConn) Close() error {
	_ = c.SetDeadline(time.Time{})
	return c.Conn.Close()
}

// cause is a failed read's or write's error: the deadline's when it
// passed.
func (c *channelConn) cause(err error) error {
	if err != nil && c.expired.Load() {
		return os.ErrDeadlineExceeded
	}
	return err
}

// loginOutcome says what the probe made of the jump host's login, from
// the error of opening the session (nil when it opened): whether the jump
// host let it in, or refused it.
func (h *jumpHop) loginOutcome(ctx context.Context, err error) (loggedIn, refused bool) {
	if h == nil {
		return false, false
	}
	je, ok := asJumpError(err)
	refused = ok && je.target == "" && je.kind(ctx) == FailureAuth
	return h.tr.loggedIn.Load(), refused
}
