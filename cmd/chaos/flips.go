package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// simDevice is one router of the fleet.
type simDevice struct {
	name, site, platform string
	port                 int
	targets              []string
}

// link is one device's target, its behaviour in the fleet file and what
// the simulator has answered since it was last changed.
type link struct {
	device, target string
	behaviour      string    // up or down
	changed        time.Time // when it was last flipped (zero: never)
	answered       int       // pings answered with behaviour since then
	hold           time.Duration
}

// flip is one change of a link's behaviour the run made.
type flip struct {
	device, target string
	from, to       string // link states: UP, DOWN
	at             time.Time
}

func (f flip) link() string { return f.device + " " + f.target }

// stateOf is the link state linkwatch gives a behaviour.
var stateOf = map[string]string{"up": "UP", "down": "DOWN"}

// flipper changes link behaviours in the fleet file, each link only once
// the simulator has answered holdPings pings of it with its current
// behaviour and holdMin has passed, and records every flip.
type flipper struct {
	path      string
	devices   []simDevice
	holdPings int
	holdMin   time.Duration
	rng       *rand.Rand

	mu    sync.Mutex
	links map[string]*link // by "device target"
	order []*link
	flips []flip
}

func newFlipper(path string, devices []simDevice, holdPings int, holdMin time.Duration, seed uint64) *flipper {
	f := &flipper{path: path, devices: devices, holdPings: holdPings, holdMin: holdMin,
		rng: rand.New(rand.NewPCG(seed, seed+1)), links: map[string]*link{}}
	for _, d := range devices {
		for _, t := range d.targets {
			l := &link{device: d.name, target: t, behaviour: "up"}
			f.links[d.name+" "+t] = l
			f.order = append(f.order, l)
		}
	}
	return f
}

// pingRE is the simulator's line for a ping answered in full (sim's debug
// log: msg="ping answered" device=R … target=T behaviour=B).
var pingRE = regexp.MustCompile(`msg="ping answered" device=(\S+) .*target=(\S+) behaviour=("[^"]*"|\S+)`)

// simLine counts a ping answered with a link's current behaviour.
func (f *flipper) simLine(line string) {
	m := pingRE.FindStringSubmatch(line)
	if m == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.links[m[1]+" "+m[2]]; l != nil && strings.Trim(m[3], `"`) == l.behaviour {
		l.answered++
	}
}

// write writes the fleet file with the links' current behaviours.
func (f *flipper) write() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	b.WriteString("devices:\n")
	for _, d := range f.devices {
		fmt.Fprintf(&b, "  - name: %s\n    port: %d\n    platform: %s\n    username: admin\n    password: %s\n    delay: 20ms\n    targets:\n",
			d.name, d.port, d.platform, labPassword)
		for _, t := range d.targets {
			fmt.Fprintf(&b, "      %s: %s\n", t, f.links[d.name+" "+t].behaviour)
		}
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

// due flips every link that has held its behaviour long enough, at most
// left of them, and returns how many it flipped.
func (f *flipper) due(now time.Time, left int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, i := range f.rng.Perm(len(f.order)) {
		l := f.order[i]
		if n == left || l.answered < f.holdPings || now.Sub(l.changed) < l.hold {
			continue
		}
		next := map[string]string{"up": "down", "down": "up"}[l.behaviour]
		f.flips = append(f.flips, flip{device: l.device, target: l.target,
			from: stateOf[l.behaviour], to: stateOf[next], at: now})
		l.behaviour, l.changed, l.answered = next, now, 0
		// A random extra hold keeps the links from flipping in lockstep.
		l.hold = f.holdMin + time.Duration(f.rng.Int64N(int64(f.holdMin)+1))
		n++
	}
	return n
}

// run makes k flips, ticking every 100 ms: the due links are flipped in
// the file together, then hup has the simulator reload it. It returns
// when k flips are made or ctx ends.
func (f *flipper) run(ctx context.Context, k int, hup func() error) error {
	for made := 0; made < k; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		n := f.due(time.Now(), k-made)
		if n == 0 {
			continue
		}
		if err := f.write(); err != nil {
			return err
		}
		if err := hup(); err != nil {
			return err
		}
		made += n
	}
	return nil
}

// made returns the flips so far.
func (f *flipper) made() []flip {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]flip(nil), f.flips...)
}
