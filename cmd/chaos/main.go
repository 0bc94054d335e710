// Command chaos is linkwatch's chaos run (make chaos): the whole
// distributed system as separate processes — two schedulers, two workers
// per site (two sites by default), two notifiers sharing one Redis (so the
// mailer lease matters), a real nats-server with JetStream on disk and
// every role's key (`linkwatch creds server-config`), a real redis-server
// (appendonly yes, appendfsync always) and an SMTP sink (`chaos
// smtp-sink`, which fsyncs each message to a file before it answers 250)
// — against `linkwatch sim`. It makes K scripted link flips while a chaos
// loop SIGKILLs random processes, then waits for quiescence and prints
// one line:
//
//	flips=K kills=N expected=E delivered=D lost=L duplicated=U max_delay=…s
//
// followed by the kills and self-exits per kind of process, the flip →
// email delays and everything lost, duplicated or unexpected. docs/chaos.md
// says how to run it and read it.
//
// How it is built, and why:
//
//   - A flip is observable only if the link holds its new state long
//     enough to be probed and the result committed despite the chaos. So a
//     link is flipped again only once the simulator has answered at least
//     --hold-pings pings of it with its current behaviour (the sim logs
//     each ping answered at debug level, with the behaviour; its stderr is
//     read as it comes) and --hold-min (plus up to as much again at random,
//     so the links do not move in lockstep) has passed. Many links (sites ×
//     devices × targets) flip in parallel, each on its own clock; the due
//     ones are written to the fleet file together and the sim reloads it on
//     SIGHUP. linkwatch runs with confirm 1, a 2 s interval and a 2 s
//     group_wait: the mailer sends one burst (alerts created within
//     group_wait of its first) per email and lets each settle for a second,
//     so a group_wait under a second would cap the emails below the rate
//     of changes and build a backlog.
//   - Counting: expected is the number of flips. Every email the sink
//     stored is parsed as notifier/render writes it ("SITE / DEVICE /
//     TARGET: FROM → TO" and "at TIME UTC"); an entry is (device, target,
//     from, to, time). delivered is the number of distinct entries, and
//     duplicated the copies received beyond the first (entries, not emails:
//     one email carries several). The flips of a link are matched in order
//     with its entries in order of time, each with the first unused entry
//     of the same from and to whose time falls between the flip and the
//     link's next flip (with 2 s of slack for the truncated seconds): a
//     flip without one is lost, an entry without a flip is unexpected.
//     "(first seen) → UP" entries at the start are not flips; device
//     entries (unreachable, reachable again), site entries (a site without
//     results, and its results again) and entries of other kinds are
//     counted on a line of their own, never as flips or duplicates. A
//     Message-ID received twice is counted too.
//   - The chaos loop kills a random running process (nats-server,
//     redis-server, the SMTP sink, a scheduler, worker or notifier; never
//     the sim: it is the network) about every --kill-every (±50 %), and the
//     supervisor starts it again after --restart-min..--restart-max. At
//     most --max-down (2) processes are down at once, killed or exited and
//     not started again yet, and every one is started again, so nothing is
//     kept from progressing for good, while two outages may overlap (NATS
//     down while a worker starts). A process that exits on its own is
//     started again after 500 ms and counted as a self-exit of its kind.
//   - The flips start once every link's first state was emailed; the
//     killing stops when the last flip is made, every process is running
//     again, and then quiescence is awaited: every flip's entry received,
//     or --quiesce passed, and the outbox empty (read in Redis).
//   - Everything a run makes is kept in its directory (--dir, else a
//     temporary one): each process's output in logs/NAME.log (one line per
//     start and end), the emails in mail/, the fleet file, linkwatch.yaml
//     and nats.conf. It is printed when the run fails, and removed when it
//     passes unless --keep.
//
// The test in this package runs a short run (K=30) as part of make test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "smtp-sink" {
		if err := runSink(os.Args[2:], os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2)
	}
	res, err := Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !res.OK() {
		os.Exit(1)
	}
}

// parseFlags reads the options; the binaries default to the ones beside
// this executable (make chaos builds them there).
func parseFlags(args []string) (Options, error) {
	exe, _ := os.Executable()
	here := filepath.Dir(exe)
	o := DefaultOptions()
	o.Linkwatch = filepath.Join(here, "linkwatch")
	o.NATSServer = filepath.Join(here, "nats-server")
	o.Sink = []string{exe, "smtp-sink"}
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: chaos [flags]\n\n"+
			"Runs linkwatch's services, nats-server, redis-server and an SMTP sink as processes against\n"+
			"linkwatch sim, flips links while killing processes, and counts the emails (docs/chaos.md).\n\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Flips, "flips", o.Flips, "link flips to make (K)")
	fs.StringVar(&o.Linkwatch, "linkwatch", o.Linkwatch, "the linkwatch binary")
	fs.StringVar(&o.NATSServer, "nats-server", o.NATSServer, "the nats-server binary")
	fs.StringVar(&o.RedisServer, "redis-server", o.RedisServer, "the redis-server binary")
	fs.StringVar(&o.Dir, "dir", "", "the run's directory (default: a new temporary one)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the run's directory when it passes")
	fs.DurationVar(&o.KillEvery, "kill-every", o.KillEvery, "mean time between two kills (0: no kills)")
	fs.IntVar(&o.MaxDown, "max-down", o.MaxDown, "most processes down at once (killed and not started again yet)")
	fs.DurationVar(&o.RestartMin, "restart-min", o.RestartMin, "shortest wait before a killed process is started again")
	fs.DurationVar(&o.RestartMax, "restart-max", o.RestartMax, "longest wait before a killed process is started again")
	fs.IntVar(&o.HoldPings, "hold-pings", o.HoldPings, "pings the sim must answer with a link's behaviour before it flips again")
	fs.DurationVar(&o.HoldMin, "hold-min", o.HoldMin, "shortest time a link keeps a behaviour")
	fs.DurationVar(&o.Quiesce, "quiesce", o.Quiesce, "how long to wait for the emails after the last flip")
	fs.DurationVar(&o.FlipTimeout, "flip-timeout", o.FlipTimeout, "how long the flips may take")
	fs.Float64Var(&o.SinkCrash, "sink-crash", 0, "the chance that the SMTP sink exits after storing a message and before acknowledging it (a self-exit; the resend is a duplicate unless linkwatch can avoid it)")
	fs.IntVar(&o.Sites, "sites", o.Sites, "sites, each with two workers")
	fs.IntVar(&o.DevicesPerSite, "devices", o.DevicesPerSite, "devices per site")
	fs.IntVar(&o.TargetsPerDevice, "targets", o.TargetsPerDevice, "targets per device (count × timeout of their pings must fit the interval)")
	fs.Uint64Var(&o.Seed, "seed", uint64(time.Now().UnixNano()), "seed of the random choices")
	err := fs.Parse(args)
	return o, err
}

// Options are a run's settings.
type Options struct {
	Flips                 int
	Linkwatch, NATSServer string
	RedisServer           string
	// Sink is the command line of the SMTP sink, to which --listen and
	// --dir are added; SinkEnv is added to its environment.
	Sink, SinkEnv []string
	// SinkCrash is the chance that the sink exits after storing a
	// message, before its 250.
	SinkCrash                        float64
	Dir                              string
	Keep                             bool
	KillEvery                        time.Duration
	MaxDown                          int
	RestartMin                       time.Duration
	RestartMax                       time.Duration
	HoldPings                        int
	HoldMin                          time.Duration
	Quiesce                          time.Duration
	FlipTimeout                      time.Duration
	Interval                         time.Duration
	Sites                            int
	DevicesPerSite, TargetsPerDevice int
	Seed                             uint64
	// Out gets the summary and the details, Progress what happens as it
	// happens (default: standard output and standard error).
	Out, Progress io.Writer
}

// DefaultOptions are make chaos's settings.
func DefaultOptions() Options {
	return Options{Flips: 200, RedisServer: "redis-server", KillEvery: 700 * time.Millisecond, MaxDown: 2,
		RestartMin: 100 * time.Millisecond, RestartMax: time.Second, HoldPings: 2, HoldMin: 3 * time.Second,
		Quiesce: 2 * time.Minute, FlipTimeout: 15 * time.Minute, Interval: 2 * time.Second,
		Sites: 2, DevicesPerSite: 5, TargetsPerDevice: 2, Seed: 1}
}
