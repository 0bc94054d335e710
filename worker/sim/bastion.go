package sim

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"gopkg.in/yaml.v3"
)

// A bastion of the fleet file (its bastions list) is an SSH jump host in
// front of the devices, as operators without a worker in every network
// segment reach their routers: it logs clients in with its own username
// and password (recorded as AuthAttempts, with lockout as a device's) and
// forwards their direct-tcpip channels (ssh -J, ProxyJump) to the fleet's
// devices, and only to them: a channel to anything but the devices'
// address (127.0.0.1 unless Fleet.Host says otherwise) and the port of a
// device of the fleet is refused with ssh.Prohibited before any connection
// is opened. It serves no shell. Every forward asked for is
// recorded (Server.Forwards) and logged, as logins are.

// bastionVersion is a bastion's SSH identification string: a Linux box.
const bastionVersion = "SSH-2.0-OpenSSH_9.6"

// bastionKeys are the keys a bastion of the fleet file may have.
var bastionKeys = map[string]bool{"name": true, "port": true, "username": true, "password": true, "login": true, "ssh": true}

// bastion parses bastions[i].
func (p *fleetParser) bastion(i int, n *yaml.Node) Device {
	d, where := p.entry(fmt.Sprintf("bastions[%d]", i), n, []string{"name", "username", "password"}, bastionKeys)
	if v := p.keys["login.lands_in"]; v != nil {
		p.addf(v, "%s: login.lands_in: a bastion has no CLI to land in", where)
	}
	return d
}

// Forward is one direct-tcpip channel a client asked a bastion for.
type Forward struct {
	Time   time.Time
	User   string // the bastion's login that asked
	Target string // host:port asked for
	// Device is the fleet's device at Target; "" when there is none, and
	// then nothing was connected to.
	Device  string
	Allowed bool
	// From is the bastion's end of its connection to the device: the
	// client address the device sees (AuthAttempt.Remote).
	From string
}

// maxForwards is how many forwards a bastion keeps: the latest ones.
const maxForwards = 1000

// forwardLog is a bastion's record of forwards.
type forwardLog struct {
	mu  sync.Mutex
	all []Forward
}

func (r *forwardLog) add(f Forward) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.all) == maxForwards {
		r.all = slices.Delete(r.all, 0, 1)
	}
	r.all = append(r.all, f)
}

// Forwards returns the latest forwards (at most 1000) asked of the bastion
// called name, oldest first, or nil for a name the server does not serve
// as a bastion. They outlive reloads that keep the bastion.
func (s *Server) Forwards(name string) []Forward {
	s.mu.Lock()
	l := s.devs[name]
	s.mu.Unlock()
	if l == nil || !l.bastion {
		return nil
	}
	l.forwards.mu.Lock()
	defer l.forwards.mu.Unlock()
	return slices.Clone(l.forwards.all)
}

// forwardHost is the one address bastions forward to: where the devices
// listen (127.0.0.1 unless Fleet.Host says otherwise; loopback for an
// unspecified one).
func (s *Server) forwardHost() string {
	if ip := net.ParseIP(s.host); ip != nil && ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return s.host
}

// deviceAt returns the fleet's device listening at host:port, where host
// must be forwardHost itself: the only place a bastion forwards to.
func (s *Server) deviceAt(host string, port uint32) (string, bool) {
	if host != s.forwardHost() {
		return "", false
	}
	ports := s.ports.Load()
	if ports == nil || port > 65535 {
		return "", false
	}
	name, ok := (*ports)[int(port)]
	return name, ok
}

// forwardDialTimeout bounds a bastion's connect to a device.
const forwardDialTimeout = 5 * time.Second

// forward serves one direct-tcpip channel of a bastion: to a device of
// the fleet it connects and copies both ways until either side ends or
// the bastion closes; anything else is refused unconnected.
func (l *listener) forward(nc ssh.NewChannel, user string, log *slog.Logger) {
	var req struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	f := Forward{Time: l.srv.now(), User: user, Target: net.JoinHostPort(req.Host, strconv.FormatUint(uint64(req.Port), 10))}
	device, ok := l.srv.deviceAt(req.Host, req.Port)
	if !ok {
		l.record(log, f)
		_ = nc.Reject(ssh.Prohibited, "only the devices of the fleet are reachable from here")
		return
	}
	f.Device = device
	// The address dialled is built here, never taken from the request.
	dialer := net.Dialer{Timeout: forwardDialTimeout}
	conn, err := dialer.DialContext(l.ctx, "tcp", net.JoinHostPort(l.srv.forwardHost(), strconv.FormatUint(uint64(req.Port), 10)))
	if err != nil {
		l.record(log, f)
		_ = nc.Reject(ssh.ConnectionFailed, "connect to "+device+" failed")
		return
	}
	f.Allowed, f.From = true, conn.LocalAddr().String()
	l.record(log, f)
	ch, reqs, err := nc.Accept()
	if err != nil {
		_ = conn.Close()
		return
	}
	l.wg.Go(func() { ssh.DiscardRequests(reqs) })
	l.pipe(ch, conn)
}

// record keeps and logs one forward, as logins are: what a bastion's
// accounting shows, and what end-to-end tests count.
func (l *listener) record(log *slog.Logger, f Forward) {
	l.forwards.add(f)
	log.Info("forward", "target", f.Target, "to", f.Device, "allowed", f.Allowed, "from", f.From)
}

// pipe copies between a forwarded channel and the connection to its
// device until one side ends, then closes both; the bastion closing
// closes both too.
func (l *listener) pipe(ch ssh.Channel, conn net.Conn) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { _ = ch.Close(); _ = conn.Close() }) }
	stop := context.AfterFunc(l.ctx, closeBoth)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(conn, ch); closeBoth() })
	wg.Go(func() { _, _ = io.Copy(ch, conn); closeBoth() })
	wg.Wait()
}
