package sim

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// pingRequest is one ping as the user typed it.
type pingRequest struct {
	target  string
	vrf     string
	source  string
	iface   string
	count   int
	timeout int // seconds
	size    int // bytes
	rapid   bool
	v6      bool // typed as ping6 (NX-OS)
}

// pingOpt is one option of a platform's ping: a keyword, followed by a
// number in lo..hi, or by a word, or by nothing (flag).
type pingOpt struct {
	kw     string
	num    bool
	lo, hi int
	flag   bool
	set    func(r *pingRequest, v string, n int)
}

// pingSyntax is a platform's ping grammar: options allowed before the
// target, options after it, and the defaults.
type pingSyntax struct {
	before, after        []pingOpt
	count, timeout, size int
}

// Setters for pingOpt.
func setVRF(r *pingRequest, v string, _ int)    { r.vrf = v }
func setSource(r *pingRequest, v string, _ int) { r.source = v }
func setIface(r *pingRequest, v string, _ int)  { r.iface = v }
func setCount(r *pingRequest, _ string, n int)  { r.count = n }
func setTimeout(r *pingRequest, _ string, n int) {
	r.timeout = n
}
func setSize(r *pingRequest, _ string, n int)  { r.size = n }
func setRapid(r *pingRequest, _ string, _ int) { r.rapid = true }
func word(kw string, set func(*pingRequest, string, int)) pingOpt {
	return pingOpt{kw: kw, set: set}
}
func number(kw string, lo, hi int, set func(*pingRequest, string, int)) pingOpt {
	return pingOpt{kw: kw, num: true, lo: lo, hi: hi, set: set}
}

// parse reads the words after "ping".
func (s pingSyntax) parse(words []token) (pingRequest, *cliError) {
	r := pingRequest{count: s.count, timeout: s.timeout, size: s.size}
	i := 0
	for i < len(words) {
		o, err := findOpt(s.before, words[i], i)
		if err != nil && err.kind == errAmbiguous {
			return r, err
		}
		if o == nil {
			break
		}
		if i, err = o.apply(&r, words, i); err != nil {
			return r, err
		}
	}
	if i >= len(words) {
		return r, &cliError{kind: errIncomplete, tok: i}
	}
	r.target = words[i].s
	for i++; i < len(words); {
		o, err := findOpt(s.after, words[i], i)
		if err != nil {
			return r, err
		}
		if i, err = o.apply(&r, words, i); err != nil {
			return r, err
		}
	}
	return r, nil
}

// findOpt finds the option word w (at index i) names, by unique prefix.
func findOpt(opts []pingOpt, w token, i int) (*pingOpt, *cliError) {
	var found []*pingOpt
	lw := strings.ToLower(w.s)
	for k := range opts {
		if opts[k].kw == lw {
			return &opts[k], nil
		}
		if strings.HasPrefix(opts[k].kw, lw) {
			found = append(found, &opts[k])
		}
	}
	switch len(found) {
	case 0:
		return nil, &cliError{kind: errInvalid, col: w.col, word: w.s, tok: i}
	case 1:
		return found[0], nil
	}
	return nil, &cliError{kind: errAmbiguous, col: w.col, word: w.s, tok: i}
}

// apply consumes option o at words[i] and its value; it returns the index
// of the next word.
func (o *pingOpt) apply(r *pingRequest, words []token, i int) (int, *cliError) {
	if o.flag {
		o.set(r, "", 0)
		return i + 1, nil
	}
	if i+1 >= len(words) {
		return i, &cliError{kind: errIncomplete, tok: len(words)}
	}
	v := words[i+1]
	n := 0
	if o.num {
		var err error
		n, err = strconv.Atoi(v.s)
		if err != nil || n < o.lo || n > o.hi {
			return i, &cliError{kind: errInvalid, col: v.col, word: v.s, tok: i + 1}
		}
	}
	o.set(r, v.s, n)
	return i + 2, nil
}

// probe is one echo request's fate.
type probe struct {
	ok  bool
	rtt float64 // milliseconds, when ok
}

// pingRun is a ping under way: the plan (how many replies) and the
// statistics so far.
type pingRun struct {
	req      pingRequest
	now      time.Time     // wall clock at the start (IOS-XR prints it)
	interval time.Duration // time per probe
	planned  int           // replies the behaviour grants out of req.count
	rng      *rand.Rand

	sent, received      int
	min, max, sum, sum2 float64
	last                float64
}

func newPingRun(r pingRequest, b Behaviour, rng *rand.Rand, now time.Time, interval time.Duration) *pingRun {
	return &pingRun{req: r, now: now, interval: interval, planned: b.Received(r.count), rng: rng}
}

// next sends probe number p.sent. Replies are spread evenly over the run,
// so "drop 60" of 5 is .!.!! and never a burst.
func (p *pingRun) next() probe {
	i, n := p.sent, p.req.count
	p.sent++
	ok := (i+1)*p.planned/n > i*p.planned/n
	if !ok {
		return probe{}
	}
	rtt := 1 + 3*p.rng.Float64()
	if p.received == 0 || rtt < p.min {
		p.min = rtt
	}
	p.max = max(p.max, rtt)
	p.sum += rtt
	p.sum2 += rtt * rtt
	p.received++
	p.last = rtt
	return probe{ok: true, rtt: rtt}
}

func (p *pingRun) avg() float64 { return p.sum / float64(p.received) }

// stddev is the population standard deviation of the round trips.
func (p *pingRun) stddev() float64 {
	m := p.avg()
	return math.Sqrt(max(p.sum2/float64(p.received)-m*m, 0))
}

// lossPercent is the share of unanswered probes, 0..100.
func (p *pingRun) lossPercent() float64 {
	if p.sent == 0 {
		return 0
	}
	return float64(p.sent-p.received) * 100 / float64(p.sent)
}

// elapsedMs is the run's length the way Linux ping reports it.
func (p *pingRun) elapsedMs() int {
	if p.sent == 0 {
		return 0
	}
	return int(p.interval.Milliseconds())*(p.sent-1) + int(p.last)
}

// pingRenderer prints a ping in a platform's own format, piece by piece so
// that a slow ping streams like the real thing.
type pingRenderer interface {
	header(p *pingRun) string
	probe(p *pingRun, pr probe) string
	footer(p *pingRun) string
	unknownHost(r pingRequest, now time.Time) string
}

// ping runs the ping command: parse, look up the target's behaviour, then
// stream header, one piece per probe (each taking the device's delay) and
// the summary.
func (c *cli) ping(rest []token, v6 bool) {
	syntax := c.plat.ping
	if c.mode.user && c.plat.userPing != nil {
		syntax = *c.plat.userPing
	}
	r, err := syntax.parse(rest)
	if err != nil {
		c.refuse(rest, err)
		return
	}
	r.v6 = v6
	dev := c.dev()
	b := dev.Behaviour(r.target)
	switch b.Outcome {
	case UnknownHost:
		c.failed = true
		c.print(c.plat.render.unknownHost(r, c.now()))
		return
	case Flood:
		c.flood(newPingRun(r, b, c.rng, c.now(), dev.Delay))
		return
	case Hang:
		c.hang()
		return
	case Garbage:
		c.failed = true
		c.print(GarbageLine)
		return
	}
	run := newPingRun(r, b, c.rng, c.now(), dev.Delay)
	c.print(c.plat.render.header(run))
	for range r.count {
		if dev.Delay > 0 && !c.wait(dev.Delay) {
			if c.ctx.Err() != nil {
				return
			}
			break
		}
		c.print(c.plat.render.probe(run, run.next()))
	}
	c.print(c.plat.render.footer(run))
	// One line per ping answered in full, with the behaviour it was
	// answered with: a harness that changes behaviours (make chaos) counts
	// these to know a change has been seen by a client.
	c.log.Debug("ping answered", "target", r.target, "behaviour", b.String(),
		"sent", run.sent, "received", run.received)
}

// ms3 formats milliseconds with three decimals, as BSD and NX-OS ping do.
func ms3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// isAddr reports whether s is an IP address (and not an interface name).
func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
