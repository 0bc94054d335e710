// Package bench is `linkwatch bench`: it measures linkwatch's probe path
// over SSH and, with Options.Pipeline, one whole probe cycle of the
// all-in-one `linkwatch run`.
//
// The devices are simulated ones that bench serves from a child `linkwatch
// sim` process (Options.Devices, Options.Targets), so that the figures of
// this process (CPU and peak RSS, from rusage) are the client's alone, or
// the devices of a configuration file (Options.Config). Only loopback
// devices are probed unless Options.AllowRemote says otherwise: a bench
// logs in to each device many times.
//
// A probe is done by a Mode: the worker's own (per-probe: connect, log in,
// set up, ping every target, close), or the floor (baseline-ssh: the same
// lines typed by a bare x/crypto/ssh client, package floor), run by the
// same harness so that their ratio is measured in one run.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// Options say what to measure.
type Options struct {
	// Devices simulated, each with Targets links (all up), of Platform;
	// ignored with Config.
	Devices, Targets int
	Platform         string
	// Config is a configuration file whose devices are probed instead.
	Config string
	// AllowRemote allows devices that are not on a loopback address.
	AllowRemote bool
	// Mode is one of ModePerProbe, ModePersistent and ModeBaselineSSH.
	Mode        string
	Concurrency int
	Probes      int
	// Pipeline runs one cycle of the whole system instead of Probes
	// probes; RedisURL, when set, puts its state in that Redis (else in
	// state.redis_url of Config, else in the embedded store).
	Pipeline bool
	RedisURL string
	// Timeout bounds the whole run.
	Timeout time.Duration
	// CPUProfile, when set, is a file that gets a pprof CPU profile of the
	// measured probes (not the sessions opened before them, nor the setup);
	// not with Pipeline.
	CPUProfile string
	// Executable is the linkwatch binary that serves simulated devices
	// (`linkwatch sim`); "" is this process's own.
	Executable string
	// Log gets warnings; the child simulator's output goes to Stderr.
	Log    *slog.Logger
	Stderr io.Writer
}

// Result is what a run measured; its JSON form is `linkwatch bench
// --output json`'s. CPU and peak RSS are this process's: with simulated
// devices, the client's alone; with Pipeline, the whole system's but
// Redis. With Pipeline, Probes are the devices probed in the cycle and the
// probe times are each device's time from its job being due to its result
// stored.
type Result struct {
	Mode               string     `json:"mode"`
	Devices            int        `json:"devices"`
	Links              int        `json:"links"`
	Probes             int        `json:"probes"`
	Concurrency        int        `json:"concurrency"`
	ProbesPerSecond    float64    `json:"probes_per_second"`
	CPUSecondsPerProbe float64    `json:"cpu_seconds_per_probe"`
	PeakRSSBytes       int64      `json:"peak_rss_bytes"`
	ProbeP50Seconds    float64    `json:"probe_p50_seconds"`
	ProbeP99Seconds    float64    `json:"probe_p99_seconds"`
	Failed             int        `json:"failed"`
	FirstFailure       string     `json:"first_failure,omitempty"`
	Store              string     `json:"store,omitempty"`
	CycleSeconds       *float64   `json:"cycle_seconds,omitempty"`
	ResultsPerSecond   *float64   `json:"results_per_second,omitempty"`
	LoadAverage        [3]float64 `json:"load_average"`
}

// ModePipeline is the mode a pipeline run reports.
const ModePipeline = "pipeline"

// Run measures what opts say.
func Run(ctx context.Context, opts Options) (Result, error) {
	if err := opts.check(); err != nil {
		return Result{}, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "linkwatch-bench-")
	if err != nil {
		return Result{}, fmt.Errorf("bench directory: %w", err)
	}
	defer os.RemoveAll(dir)
	tb, err := setUp(ctx, opts, dir)
	if err != nil {
		return Result{}, err
	}
	defer tb.close()
	var r Result
	if opts.Pipeline {
		r, err = runPipeline(ctx, tb, opts, dir)
	} else {
		r, err = runProbes(ctx, tb, opts)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("bench: not done within --timeout %s: %w", opts.Timeout, err)
	}
	if err != nil {
		return Result{}, err
	}
	r.Devices, r.Links = len(tb.cfg.Devices), tb.cfg.Links()
	r.LoadAverage = loadAverage()
	return r, nil
}

// check says what is wrong with opts, naming the command's flags.
func (o Options) check() error {
	var errs []error
	if _, ok := modes[o.Mode]; !ok {
		errs = append(errs, fmt.Errorf("--mode %q: must be one of %s", o.Mode, modeNames()))
	}
	if o.Config == "" {
		if _, err := ping.Lookup(o.Platform); err != nil {
			errs = append(errs, fmt.Errorf("--platform: %w", err))
		}
		if o.Devices < 1 {
			errs = append(errs, fmt.Errorf("--devices %d: must be at least 1", o.Devices))
		}
		if o.Targets < 1 || o.Targets > maxTargets {
			errs = append(errs, fmt.Errorf("--targets %d: must be from 1 to %d", o.Targets, maxTargets))
		}
	}
	if o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("--concurrency %d: must be at least 1", o.Concurrency))
	}
	if !o.Pipeline && o.Probes < 1 {
		errs = append(errs, fmt.Errorf("--probes %d: must be at least 1", o.Probes))
	}
	if o.Pipeline && o.Mode != ModePerProbe {
		errs = append(errs, fmt.Errorf("--pipeline runs the workers' own probes: --mode %s does not apply", o.Mode))
	}
	if o.CPUProfile != "" && o.Pipeline {
		errs = append(errs, errors.New("--cpuprofile: profiles --probes, not --pipeline"))
	}
	if o.RedisURL != "" && !o.Pipeline {
		errs = append(errs, errors.New("--redis-url: only --pipeline stores results"))
	}
	if o.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be positive", o.Timeout))
	}
	return errors.Join(errs...)
}
