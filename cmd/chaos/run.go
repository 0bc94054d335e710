package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Result is what a run found.
type Result struct {
	tally
	Kills, SelfExits map[string]int
	KillsTotal       int
	Dir              string
}

// OK reports whether every flip was emailed once.
func (r Result) OK() bool { return r.Lost == 0 && r.Duplicated == 0 }

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
	box := &inbox{dir: filepath.Join(dir, "mail"), seen: map[string]bool{}}
	if err := sys.baseline(ctx, 2*time.Minute); err != nil {
		return Result{}, err
	}
	fmt.Fprintf(opts.Progress, "chaos: every link UP; %d flips over %d links, a kill about every %s, at most %d processes down at once\n",
		opts.Flips, len(sys.flipper.order), opts.KillEvery, opts.MaxDown)

	chaosCtx, stopChaos := context.WithCancel(ctx)
	if opts.KillEvery > 0 {
		go sys.sup.chaos(chaosCtx, opts.KillEvery, opts.MaxDown)
	}
	flipCtx, stopFlips := context.WithTimeout(ctx, opts.FlipTimeout)
	err := sys.flipper.run(flipCtx, opts.Flips, func() error {
		if err := sys.sim.hup(); err != nil {
			fmt.Fprintf(opts.Progress, "chaos: reload the sim: %v (it reads the file when it starts)\n", err)
		}
		return nil
	})
	stopFlips()
	stopChaos()
	if err != nil && ctx.Err() != nil {
		return Result{}, err
	}
	if err != nil {
		fmt.Fprintf(opts.Progress, "chaos: only %d of %d flips made in %s\n", len(sys.flipper.made()), opts.Flips, opts.FlipTimeout)
	}
	upCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = sys.sup.allUp(upCtx)
	cancel()
	if err != nil {
		return Result{}, fmt.Errorf("not every process is running again a minute after the last kill: %w", err)
	}
	fmt.Fprintf(opts.Progress, "chaos: %d flips made, killing stopped; waiting for quiescence (at most %s)\n",
		len(sys.flipper.made()), opts.Quiesce)
	t, parked, err := sys.quiesce(ctx, box, opts.Quiesce)
	if err != nil {
		return Result{}, err
	}
	kills, selfExits := sys.sup.counts()
	res := Result{tally: t, Kills: kills, SelfExits: selfExits}
	for _, n := range kills {
		res.KillsTotal += n
	}
	fmt.Fprintln(opts.Out, res.Line())
	fmt.Fprintf(opts.Out, "kills: %s\n", perKind(kills))
	fmt.Fprintf(opts.Out, "self-exits: %s\n", perKind(selfExits))
	fmt.Fprint(opts.Out, t.details())
	if parked > 0 {
		fmt.Fprintf(opts.Out, "parked alerts: %d (given up on by the mailer)\n", parked)
	}
	return res, nil
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
