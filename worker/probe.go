package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/scrapli/scrapligo/driver/generic"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/util"
	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// Prober probes devices over SSH. Its zero value contacts no device: it
// needs a HostKeys policy.
type Prober struct {
	// HostKeys decides which host keys devices may present: KnownHosts,
	// TrustOnFirstUse or, explicitly, InsecureHostKeys. Nil contacts no
	// device (every probe fails with INTERNAL).
	HostKeys HostKeyPolicy
	// ConnectTimeout bounds the TCP connect and the SSH handshake.
	ConnectTimeout time.Duration
	// SetupTimeout bounds finding the prompt and each setup command
	// (default 10s).
	SetupTimeout time.Duration
	// MaxOutput caps the bytes a device may send in answer to one command
	// (default DefaultMaxOutput); past it the session is closed and the
	// device fails with CLI_ERROR.
	MaxOutput int64
	// Log receives debug detail; nil discards it.
	Log *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// DefaultMaxOutput is the default cap on one command's output: a ping of
// a thousand probes prints well under 100 KiB on every platform.
const DefaultMaxOutput = 4 << 20

const (
	defaultConnectTimeout = 10 * time.Second
	defaultSetupTimeout   = 10 * time.Second
	// readDelay is scrapligo's pause after each read of its read loop and
	// between its polls of the queue. Nothing here lets scrapligo poll:
	// commands, the prompt and enable are read by sendCommand, getPrompt
	// and sendInteractive, which sleep on the transport's notification,
	// and the transport's Read blocks until the device sends. So the read
	// loop reads again at once, with no timer wake-up per read (at 50µs,
	// a sleep of ~1.7 ms on a loaded machine per chunk read: about a
	// quarter of a persistent probe's CPU at concurrency 1, and most of
	// its latency). The one other use, Channel.Close's wait for the read
	// loop (ReadDelay²/1µs), is moot: closeDriver closes the transport
	// first.
	readDelay = 0
)

func (p *Prober) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Prober) setupTimeout() time.Duration {
	if p.SetupTimeout > 0 {
		return p.SetupTimeout
	}
	return defaultSetupTimeout
}

func (p *Prober) maxOutput() int64 {
	if p.MaxOutput > 0 {
		return p.MaxOutput
	}
	return DefaultMaxOutput
}

func (p *Prober) connectTimeout() time.Duration {
	if p.ConnectTimeout > 0 {
		return p.ConnectTimeout
	}
	return defaultConnectTimeout
}

// Budget is the longest a probe of d may take: connect (to its jump host
// first, if it has one), setup, and every ping's own budget, one after
// another.
func (p *Prober) Budget(d Device) time.Duration {
	steps := 3 // the prompt and the setup commands
	if _, c, err := platformCLI(d.Platform); err == nil {
		steps = len(c.setupFor(nil)) + 2 // the prompt, and the width step if a line needs it
		if c.enable != nil && d.Enable {
			steps += 4 // the prompt, enable, its secret, the prompt again
		}
	}
	b := p.connectTimeout() + time.Duration(steps)*p.setupTimeout()
	if d.Jump.Set() {
		b += p.connectTimeout() // the jump host's dial, handshake and login
	}
	for _, t := range d.Targets {
		b += t.Budget()
	}
	return b
}

// Probe opens one SSH session to d (through its jump host, when it has
// one), pings each target in turn and closes the session. It never panics
// and always returns a result: a device that cannot be probed gives a
// result with Failure set. Probe returns when ctx ends, with
// FailureTimeout.
func (p *Prober) Probe(ctx context.Context, d Device) (res DeviceResult) {
	res = DeviceResult{Device: d.Name, Site: d.Site, StartedAt: p.now()}
	defer func() {
		if r := recover(); r != nil {
			res.Failure, res.FailureText = FailureInternal, fmt.Sprintf("internal error probing %s: %v", d.Name, r)
		}
		res.CheckedAt = p.now()
		res.clean()
	}()
	ctx, cancel := context.WithTimeout(ctx, p.Budget(d))
	defer cancel()
	l, ok := p.connect(ctx, ctx, d, &res)
	if !ok {
		return res
	}
	defer l.close()
	stop := context.AfterFunc(ctx, l.tr.abort)
	defer stop()
	_ = p.pings(ctx, l, d, &res) // the failure is in res
	return res
}

// link is an open CLI session to a device, logged in and set up: its
// transport, scrapligo driver, and the way through its jump host.
type link struct {
	tr  *sshTransport
	drv *generic.Driver
	hop *jumpHop
	pl  ping.Platform
}

// close ends the session and the connection to the jump host.
func (l *link) close() {
	closeDriver(l.tr, l.drv)
	l.hop.close()
}

// connect opens a session to d, setup included, within ctx: ctx ending
// aborts it. The connection lives in life (ctx for a probe's own session,
// longer for a persistent one): it is closed when life ends. What the
// login showed, and any failure, goes into res; ok is false on failure.
func (p *Prober) connect(ctx, life context.Context, d Device, res *DeviceResult) (l *link, ok bool) {
	pl, c, err := platformCLI(d.Platform)
	if err != nil {
		res.Failure, res.FailureText = FailureCLI, err.Error()
		return nil, false
	}
	check, firstAlgos, err := p.hostKeys(ctx, d)
	if err != nil {
		res.Failure, res.FailureText = FailureInternal, "host key policy: "+err.Error()
		return nil, false
	}
	hop, err := p.jumpHop(life, d)
	if err != nil {
		res.Failure, res.FailureText = FailureInternal, "host key policy: "+err.Error()
		return nil, false
	}
	tr := newSSHTransport(life, d, check, firstAlgos, p.connectTimeout(), p.maxOutput())
	tr.jump = hop
	stop := context.AfterFunc(ctx, tr.abort)
	defer stop()
	drv, err := p.open(ctx, tr, d, c, c.setupFor(pingLines(pl, d.Targets)))
	res.LoggedIn = tr.loggedIn.Load()
	res.JumpLoggedIn, res.JumpRefused = hop.loginOutcome(ctx, err)
	if err != nil {
		tr.Close()
		hop.close()
		res.Failure = classifyOpen(ctx, tr, err)
		res.FailureText = failureText(ctx, tr, "open session", err)
		return nil, false
	}
	return &link{tr: tr, drv: drv, hop: hop, pl: pl}, true
}

// pings pings each of d's targets in turn over l, adding each link's
// result to res; a session problem ends them with res's failure, and is
// returned.
func (p *Prober) pings(ctx context.Context, l *link, d Device, res *DeviceResult) error {
	for _, t := range d.Targets {
		link, err := p.ping(ctx, l, t)
		if err != nil {
			res.Failure = classifyCommand(ctx, l.tr, err)
			res.FailureText = failureText(ctx, l.tr, "ping "+t.Target, err)
			return err
		}
		res.Links = append(res.Links, link)
	}
	return nil
}

// hostKeys asks the policy how to check d's host key; without a policy no
// device is contacted.
func (p *Prober) hostKeys(ctx context.Context, d Device) (ssh.HostKeyCallback, []string, error) {
	if p.HostKeys == nil {
		return nil, nil, errNoHostKeyPolicy
	}
	return p.HostKeys.ForDevice(ctx, d)
}

// closeDriver closes the transport, then the driver. scrapligo's read loop
// is blocked in the transport's Read; closed first, the transport ends it
// at once (EOF), where the driver alone would wait up to readDelay²/1µs
// for the loop, or (readDelay 0) close the transport under it.
func closeDriver(tr *sshTransport, drv *generic.Driver) {
	tr.Close()
	drv.Close()
}

// pingLines are the ping commands a probe of targets types.
func pingLines(pl ping.Platform, targets []ping.Params) []string {
	var lines []string
	for _, t := range targets {
		if cmd, err := pl.Command(t); err == nil {
			lines = append(lines, cmd)
		}
	}
	return lines
}

// open starts the scrapligo driver over tr, enters privileged EXEC if d
// says to, and sends setup.
func (p *Prober) open(ctx context.Context, tr *sshTransport, d Device, c cli, setup []string) (*generic.Driver, error) {
	drv, err := generic.NewDriver(d.Host,
		options.WithCustomTransport(tr),
		options.WithPort(d.Port),
		options.WithPromptPattern(c.prompt),
		options.WithReadDelay(readDelay),
		options.WithTimeoutOps(p.setupTimeout()),
		options.WithTermWidth(511),
	)
	if err != nil {
		return nil, fmt.Errorf("build driver: %w", err)
	}
	if err := drv.Open(); err != nil {
		if errors.Is(err, util.ErrTimeoutError) {
			return nil, fmt.Errorf("no prompt within %s of login: %w", p.setupTimeout(), err)
		}
		return nil, err
	}
	if err := p.enter(tr, drv, c, d); err != nil {
		closeDriver(tr, drv)
		return nil, err
	}
	for _, cmd := range setup {
		if _, err := sendCommand(tr, drv.Channel, cmd, p.setupTimeout()); err != nil {
			closeDriver(tr, drv)
			return nil, &setupError{cmd: cmd, wait: p.setupTimeout(), err: err}
		}
	}
	if ctx.Err() != nil {
		closeDriver(tr, drv)
		return nil, ctx.Err()
	}
	return drv, nil
}

// enter goes to privileged EXEC when the device's credential says to
// (enable) and the login landed in user EXEC: `enable`, and the enable
// secret when the device asks for one. A login already privileged is left
// alone. The secret is typed hidden and never appears in an error. Without
// enable on the credential nothing is checked: a login that lands in user
// EXEC then shows as ping errors (% Invalid input), as it would by hand.
func (p *Prober) enter(tr *sshTransport, drv *generic.Driver, c cli, d Device) error {
	e := c.enable
	if e == nil || !d.Enable {
		return nil // reading the prompt costs a round trip: only when it may matter
	}
	prompt, err := getPrompt(tr, drv.Channel, p.setupTimeout())
	if errors.Is(err, util.ErrTimeoutError) {
		return fmt.Errorf("no prompt within %s of login: %w", p.setupTimeout(), err)
	}
	if err != nil {
		return fmt.Errorf("read the prompt after login: %w", err)
	}
	if e.priv.MatchString(prompt) || !e.user.MatchString(prompt) {
		return nil
	}
	r, err := sendInteractive(tr, drv.Channel, e.command, e.either, false, p.setupTimeout())
	if err != nil {
		return fmt.Errorf("enable: %w", err)
	}
	if e.password.MatchString(r) {
		if d.EnablePassword == "" {
			// A gap in the configuration, not a refusal: nothing was
			// typed, so it is not an authentication failure (which would
			// count towards pausing the credential).
			return &enableError{text: fmt.Sprintf("enable: the device asks for an enable secret and credential %q gives none: "+
				"set enable_password_env or enable_password_file", d.Credential)}
		}
		r, err := sendInteractive(tr, drv.Channel, d.EnablePassword, e.either, true, p.setupTimeout())
		if err != nil {
			return fmt.Errorf("enable: %w", err)
		}
		if e.password.MatchString(r) {
			// IOS asks again after a wrong secret: answering (even with
			// a bare return to read the prompt) would count as another
			// failed attempt. The session is closed instead.
			return &enableError{auth: true, text: fmt.Sprintf("enable: the device asked for the enable secret again: "+
				"it refused the one of credential %q", d.Credential)}
		}
	}
	if prompt, err = getPrompt(tr, drv.Channel, p.setupTimeout()); err != nil {
		return fmt.Errorf("enable: read the prompt: %w", err)
	}
	if !e.priv.MatchString(prompt) {
		return &enableError{auth: true, text: fmt.Sprintf("enable: the device refused (the prompt is still %s): "+
			"check the enable secret of credential %q", prompt, d.Credential)}
	}
	return nil
}

// enableError is a login that could not enter privileged EXEC; auth when
// the device refused (or asked for) the enable secret.
type enableError struct {
	auth bool
	text string
}

func (e *enableError) Error() string { return e.text }

type setupError struct {
	cmd  string
	wait time.Duration
	err  error
}

func (e *setupError) Error() string {
	if errors.Is(e.err, util.ErrTimeoutError) {
		return fmt.Sprintf("no prompt within %s after %q: %v", e.wait, e.cmd, e.err)
	}
	return fmt.Sprintf("%q: %v", e.cmd, e.err)
}
func (e *setupError) Unwrap() error { return e.err }

// ping runs one ping and parses it. An invalid target or odd output is a
// link ERROR, not a device failure; only a session problem returns an error.
func (p *Prober) ping(ctx context.Context, l *link, t ping.Params) (LinkResult, error) {
	link := LinkResult{Params: t}
	cmd, err := l.pl.Command(t)
	if err != nil {
		link.CheckedAt = p.now()
		link.Result = ping.Result{Status: ping.StatusError, Error: err.Error()}
		return link, nil
	}
	out, err := sendCommand(l.tr, l.drv.Channel, cmd, t.Budget())
	if errors.Is(err, util.ErrTimeoutError) {
		return link, fmt.Errorf("no prompt within %s, the ping's budget (count × timeout + 10%% + 5s): %w", t.Budget(), err)
	}
	if err != nil {
		return link, err
	}
	if ctx.Err() != nil {
		return link, ctx.Err()
	}
	link.CheckedAt = p.now()
	link.Result = l.pl.Parse(out)
	return link, nil
}

// failureText says what was being done and what went wrong, naming the
// facts the transport recorded rather than the error scrapligo made of
// them.
func failureText(ctx context.Context, tr *sshTransport, doing string, err error) string {
	if je, ok := asJumpError(err); ok {
		return doing + ": " + je.text(ctx)
	}
	if text, ok := negotiationText(err, "device", "ssh"); ok {
		return doing + ": " + text
	}
	switch {
	case tr.overflow.Load():
		return fmt.Sprintf("%s: %v", doing, &outputLimitError{limit: tr.limit})
	case ctx.Err() != nil:
		return fmt.Sprintf("%s: probe deadline exceeded (%v)", doing, err)
	}
	return fmt.Sprintf("%s: %v", doing, err)
}
