package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Result is what a run found.
type Result struct {
	tally
	Wanted           int // the flips asked for
	Kills, SelfExits map[string]int
	KillsTotal       int
	Dir              string
}

// OK reports whether every flip asked for was made and emailed once.
func (r Result) OK() bool { return r.Flips == r.Wanted && r.Lost == 0 && r.Duplicated == 0 }

// Line is the summary line.
func (r Result) Line() string { return r.line(r.KillsTotal) }

// Run runs the system, flips, kills, waits for quiescence and prints the
// summary line, then the details. An error means the run could not be
// made (a server would not start, the first states never came); a run
// that lost or duplicated alerts is a Result that is not OK.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Progress == nil {
		opts.Progress = os.Stderr
	}
	opts.Progress = &lockedWriter{w: opts.Progress} // the supervisor's goroutines share it
	dir := opts.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "linkwatch-chaos-"); err != nil {
			return Result{}, err
		}
	}
	fmt.Fprintf(opts.Progress, "chaos: run directory %s\n", dir)
	res, err := run(ctx, opts, dir)
	res.Dir = dir
	switch {
	case err != nil || !res.OK():
		fmt.Fprintf(opts.Out, "chaos: the processes' logs, the emails and the configuration are in %s\n", dir)
	case opts.Dir == "" && !opts.Keep:
		os.RemoveAll(dir)
	}
	return res, err
}

func run(ctx context.Context, opts Options, dir string) (Result, error) {
	sys := &system{opts: opts, dir: dir}
	if err := sys.layout(); err != nil {
		return Result{}, err
	}
	if err := sys.natsConfig(); err != nil {
		return Result{}, err
	}
	sys.sup = newSupervisor(filepath.Join(dir, "logs"), opts.RestartMin, opts.RestartMax, opts.Seed, opts.Progress)
	procCtx, stopProcs := context.WithCancel(ctx)
	defer func() {
		stopProcs()
		sys.sup.stop()
	}()
	if err := sys.startAll(procCtx); err != nil {
		return Result{}, err
	}
	if err := sys.baseline(ctx, 2*time.Minute); err != nil {
		return Result{}, err
	}
	if err := sys.flipUnderChaos(ctx); err != nil {
		return Result{}, err
	}
	t, parked, err := sys.quiesce(ctx, &inbox{dir: filepath.Join(dir, "mail"), seen: map[string]bool{}}, opts.Quiesce)
	if err != nil {
		return Result{}, err
	}
	kills, selfExits := sys.sup.counts()
	res := Result{tally: t, Wanted: opts.Flips, Kills: kills, SelfExits: selfExits}
	for _, n := range kills {
		res.KillsTotal += n
	}
	res.print(opts.Out, parked)
	return res, nil
}

// flipUnderChaos makes the flips while the chaos loop kills, then stops
// killing and waits until every process runs again.
func (s *system) flipUnderChaos(ctx context.Context) error {
	o := s.opts
	fmt.Fprintf(o.Progress, "chaos: every link UP; %d flips over %d links, a kill about every %s, at most %d processes down at once\n",
		o.Flips, len(s.flipper.order), o.KillEvery, o.MaxDown)
	chaosCtx, stopChaos := context.WithCancel(ctx)
	killing := make(chan struct{})
	go func() {
		defer close(killing)
		if o.KillEvery > 0 {
			s.sup.chaos(chaosCtx, o.KillEvery, o.MaxDown)
		}
	}()
	flipCtx, stopFlips := context.WithTimeout(ctx, o.FlipTimeout)
	err := s.flipper.run(flipCtx, o.Flips, func() error {
		if err := s.sim.hup(); err != nil {
			fmt.Fprintf(o.Progress, "chaos: reload the sim: %v (it reads the file when it starts)\n", err)
		}
		return nil
	})
	stopFlips()
	stopChaos()
	<-killing
	if err != nil && ctx.Err() != nil {
		return err
	}
	if err != nil {
		fmt.Fprintf(o.Progress, "chaos: only %d of %d flips made in %s\n", len(s.flipper.made()), o.Flips, o.FlipTimeout)
	}
	upCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.sup.allUp(upCtx); err != nil {
		return fmt.Errorf("not every process is running again a minute after the last kill: %w", err)
	}
	fmt.Fprintf(o.Progress, "chaos: %d flips made, killing stopped; waiting for quiescence (at most %s)\n",
		len(s.flipper.made()), o.Quiesce)
	return nil
}

// print writes the summary line, then the kills and self-exits per kind
// of process and the details.
func (r Result) print(w io.Writer, parked int) {
	fmt.Fprintln(w, r.Line())
	fmt.Fprintf(w, "kills: %s\n", perKind(r.Kills))
	fmt.Fprintf(w, "self-exits: %s\n", perKind(r.SelfExits))
	fmt.Fprint(w, r.details())
	if parked > 0 {
		fmt.Fprintf(w, "parked alerts: %d (given up on by the mailer)\n", parked)
	}
}

// baseline waits until every link is UP in the store: a link's first
// state is committed, but a first UP is not emailed.
func (s *system) baseline(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		up, err := s.linksUp(ctx)
		if err == nil && up == len(s.flipper.order) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d links UP in the store after %s (%v)", up, len(s.flipper.order), timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// quiesce waits until every flip's entry has been received, or timeout,
// and the outbox is empty, twice in a row a group_wait and more apart; it
// returns the tally then and the number of parked alerts.
func (s *system) quiesce(ctx context.Context, box *inbox, timeout time.Duration) (tally, int, error) {
	deadline := time.Now().Add(timeout)
	calm := 0
	var lastErr error
	for {
		if err := box.poll(); err != nil {
			return tally{}, 0, err
		}
		t := count(s.flipper.made(), box.emails)
		empty, parked, err := s.outboxEmpty(ctx)
		lastErr = err
		if err == nil && empty && (t.Lost == 0 || time.Now().After(deadline)) {
			calm++
		} else {
			calm = 0
		}
		if calm == 3 {
			return t, parked, nil
		}
		if time.Now().After(deadline.Add(time.Minute)) {
			if lastErr == nil {
				lastErr = errors.New("the outbox is not empty")
			}
			fmt.Fprintf(s.opts.Progress, "chaos: no quiescence %s after the last flip: %v\n", timeout+time.Minute, lastErr)
			return t, parked, nil
		}
		select {
		case <-ctx.Done():
			return tally{}, 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// lockedWriter serializes the writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
