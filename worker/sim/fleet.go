package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/linkwatch/linkwatch/proto"
)

// Fleet is the set of simulated devices a fleet file describes.
type Fleet struct {
	Devices []Device
	// Bastions are SSH jump hosts in front of the devices: each logs
	// clients in with its own username and password and forwards their
	// direct-tcpip channels to the fleet's devices, and nowhere else (see
	// Server.Forwards). Of a Device, only Name, Port, Username, Password,
	// Login.Lockout and SSH apply to a bastion.
	Bastions []Device
	// Host is the address the devices listen on, kept by the server across
	// reloads: "" is 127.0.0.1. It is the command's to set (a simulator in
	// a container listens on its network), never the fleet file's.
	Host string
}

// Device is one simulated router.
type Device struct {
	Name     string
	Port     int // 0: an ephemeral port on 127.0.0.1
	Platform string
	Username string
	Password string
	// Delay is the time one probe of a ping takes.
	Delay time.Duration
	// Targets is the behaviour of `ping <target>`, keyed by target.
	Targets map[string]Behaviour
	// EnablePassword is the secret `enable` asks for; empty means Password.
	EnablePassword string
	// Session is how the CLI session behaves.
	Session SessionBehaviour
	// Login is how logging in goes.
	Login LoginBehaviour
	// SSH is how the SSH server behaves: algorithms and host keys.
	SSH SSHBehaviour
}

// member is one entry of a fleet that listens: a device or a bastion.
type member struct {
	Device
	bastion bool
	index   int // in Devices or Bastions
}

// where names the entry as problems do: devices[i] or bastions[i].
func (m member) where() string {
	if m.bastion {
		return fmt.Sprintf("bastions[%d]", m.index)
	}
	return fmt.Sprintf("devices[%d]", m.index)
}

// kind is "device" or "bastion".
func (m member) kind() string {
	if m.bastion {
		return "bastion"
	}
	return "device"
}

// members are the devices, then the bastions.
func (f *Fleet) members() []member {
	ms := make([]member, 0, len(f.Devices)+len(f.Bastions))
	for i, d := range f.Devices {
		ms = append(ms, member{Device: d, index: i})
	}
	for i, d := range f.Bastions {
		ms = append(ms, member{Device: d, bastion: true, index: i})
	}
	return ms
}

// SessionBehaviour is how a device's CLI session misbehaves; the zero value
// is a well-behaved session.
type SessionBehaviour struct {
	// NoPrompt: the shell shows its banner, then nothing, ever; what is
	// typed is read and dropped until the client stops sending.
	NoPrompt bool
	// SlowBanner is the wait before the banner and first prompt of a shell,
	// or before an exec command's output. What is typed meanwhile is kept.
	SlowBanner time.Duration
}

// Level is the privilege level a login lands in.
type Level int

// The levels a login may land in.
const (
	Privileged Level = iota // r1#, the default
	UserExec                // r1>: `enable` asks for the enable secret
)

// LoginBehaviour is how logging in to a device goes.
type LoginBehaviour struct {
	// LandsIn is where a login lands. UserExec plays a device with AAA
	// (aaa new-model): `enable` asks once and a wrong secret is
	// "% Access denied"; ping takes no options there, as on IOS. Only the
	// platforms with a user EXEC login (cisco_iosxe, arista_eos) have it.
	LandsIn Level
	// Lockout locks logins out after failures; the zero value never does.
	Lockout Lockout
	// Methods are the SSH authentication methods the device offers, of
	// MethodPassword and MethodKeyboardInteractive; empty offers both, as
	// IOS does. A client that is refused by one may go on to the other
	// with the same password: a second failed login for AAA.
	Methods []string
	// Instruction, when set, is sent by keyboard-interactive in a round of
	// its own that asks no question, before the round that asks for the
	// password, as servers backed by PAM or RADIUS often do.
	Instruction string
}

// The SSH authentication methods a device may offer, as AuthAttempt.Method
// names them.
const (
	MethodPassword            = "password"
	MethodKeyboardInteractive = "keyboard-interactive"
)

// authMethods are the methods a device may offer, in the order the SSH
// server lists them.
var authMethods = []string{MethodPassword, MethodKeyboardInteractive}

// Offers reports whether the device offers the authentication method.
func (l LoginBehaviour) Offers(method string) bool {
	return len(l.Methods) == 0 && slices.Contains(authMethods, method) || slices.Contains(l.Methods, method)
}

// Lockout is an AAA-like login lockout, like IOS's `login block-for`:
// After failed logins within Within lock the device's logins out For, and
// while they are locked out even the right password is refused. Attempts
// during the lockout do not count; a login let in forgets the failures
// before it.
type Lockout struct {
	After       int // failed logins that lock; 0: no lockout
	Within, For time.Duration
}

// EnableSecret is the secret `enable` asks for.
func (d *Device) EnableSecret() string {
	if d.EnablePassword != "" {
		return d.EnablePassword
	}
	return d.Password
}

// Outcome is what a ping to one target does.
type Outcome int

// The outcomes a target may have.
const (
	Up          Outcome = iota + 1 // every probe answered
	Down                           // no probe answered (timeouts)
	Drop                           // some probes answered, Percent of them
	UnknownHost                    // the device cannot resolve the target
	Flood                          // endless probe output until the client disconnects
	Hang                           // no output at all, never the prompt again
	Garbage                        // a % error line with invalid UTF-8 and ANSI escapes
)

// words spells the outcomes that are one word in the fleet file.
var words = map[Outcome]string{
	Up: "up", Down: "down", UnknownHost: "unknown-host", Flood: "flood", Hang: "hang", Garbage: "garbage",
}

// Behaviour is the behaviour of pings to one target.
type Behaviour struct {
	Outcome Outcome
	Percent int // success percent for Drop, 1..99
}

// String renders b the way the fleet file spells it.
func (b Behaviour) String() string {
	if w, ok := words[b.Outcome]; ok {
		return w
	}
	if b.Outcome == Drop {
		return "drop " + strconv.Itoa(b.Percent)
	}
	return "invalid"
}

// Behaviour returns what a ping to target does on d. A target the fleet file
// does not list is down when it is an IP address and an unknown host
// otherwise.
func (d *Device) Behaviour(target string) Behaviour {
	if b, ok := d.Targets[target]; ok {
		return b
	}
	if _, err := netip.ParseAddr(target); err == nil {
		return Behaviour{Outcome: Down}
	}
	return Behaviour{Outcome: UnknownHost}
}

// Received returns how many of count probes b answers. A Drop answers
// round(count×Percent/100) of them, but at least one and at most count-1 when
// count is 2 or more, so a drop is always partial. A flood's probes are all
// answered; those of a hang or garbage never are.
func (b Behaviour) Received(count int) int {
	switch b.Outcome {
	case Up, Flood:
		return count
	case Drop:
		r := (count*b.Percent + 50) / 100
		if count >= 2 {
			r = min(max(r, 1), count-1)
		}
		return r
	}
	return 0
}

// ParseBehaviour parses one target behaviour: up, down, "drop N" with
// 0 < N < 100, unknown-host, flood, hang or garbage.
func ParseBehaviour(s string) (Behaviour, error) {
	f := strings.Fields(s)
	if len(f) == 2 && f[0] == "drop" {
		n, err := strconv.Atoi(f[1])
		if err != nil || n <= 0 || n >= 100 {
			return Behaviour{}, fmt.Errorf("%q: drop needs a success percent between 1 and 99", s)
		}
		return Behaviour{Outcome: Drop, Percent: n}, nil
	}
	for o, w := range words {
		if len(f) == 1 && f[0] == w {
			return Behaviour{Outcome: o}, nil
		}
	}
	return Behaviour{}, fmt.Errorf("%q is not a behaviour (up, down, drop N, unknown-host, flood, hang, garbage)", s)
}

// LoadFleet reads and parses the fleet file at path.
func LoadFleet(path string) (*Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fleet: %w", err)
	}
	f, err := ParseFleet(data)
	var fe *FleetError
	if errors.As(err, &fe) {
		fe.File = path
	}
	return f, err
}

// ParseFleet parses a fleet file. Unknown keys are errors; every problem is
// reported at once, each naming the device and the field.
func ParseFleet(data []byte) (*Fleet, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FleetError{Problems: []Problem{{Msg: err.Error()}}}
	}
	p := &fleetParser{}
	f := p.document(&doc)
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, &FleetError{Problems: p.problems}
	}
	return f, nil
}

// FleetError lists every problem found in a fleet file.
type FleetError struct {
	File     string // set by LoadFleet
	Problems []Problem
}

// Problem is one thing wrong in a fleet file.
type Problem struct {
	Line int // 0 when unknown
	Msg  string
}

func (e *FleetError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		switch {
		case e.File != "" && p.Line > 0:
			lines[i] = fmt.Sprintf("%s:%d: %s", e.File, p.Line, p.Msg)
		case e.File != "":
			lines[i] = e.File + ": " + p.Msg
		case p.Line > 0:
			lines[i] = fmt.Sprintf("line %d: %s", p.Line, p.Msg)
		default:
			lines[i] = p.Msg
		}
	}
	return strings.Join(lines, "\n")
}

// validPlatform reports whether name is a platform the simulator can play.
func validPlatform(name string) bool { return platformFor(name) != nil }

// validName and validTarget are the project's shared grammars.
var (
	validName   = proto.ValidName
	validTarget = proto.ValidTarget
)
