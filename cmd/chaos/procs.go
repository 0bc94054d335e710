package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// process is one supervised child: started again whenever it exits, until
// the supervisor stops it.
type process struct {
	kind, name string
	argv, env  []string
	killable   bool         // the chaos loop may kill it (not the sim)
	stderr     func(string) // when set, is given each line of its stderr too

	mu       sync.Mutex
	cmd      *exec.Cmd
	up       bool // running now
	killed   bool // this incarnation was killed by the chaos loop
	stopping bool
	starts   int
}

// supervisor runs the processes, counts the kills of the chaos loop and
// the exits nobody asked for, per kind of process.
type supervisor struct {
	logDir     string
	restartMin time.Duration
	restartMax time.Duration
	progress   io.Writer

	mu        sync.Mutex
	procs     []*process
	kills     map[string]int
	selfExits map[string]int
	rng       *rand.Rand
	wg        sync.WaitGroup
}

func newSupervisor(logDir string, restartMin, restartMax time.Duration, seed uint64, progress io.Writer) *supervisor {
	return &supervisor{logDir: logDir, restartMin: restartMin, restartMax: restartMax, progress: progress,
		kills: map[string]int{}, selfExits: map[string]int{}, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b9))}
}

// start runs p under supervision: its output is appended to
// logDir/NAME.log, one header line per start.
func (s *supervisor) start(ctx context.Context, p *process) {
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.supervise(ctx, p)
	}()
}

func (s *supervisor) supervise(ctx context.Context, p *process) {
	logPath := filepath.Join(s.logDir, p.name+".log")
	for {
		err := s.run(p, logPath)
		p.mu.Lock()
		killed, stopping := p.killed, p.stopping
		p.up, p.killed = false, false
		p.mu.Unlock()
		if stopping || ctx.Err() != nil {
			return
		}
		delay := 500 * time.Millisecond
		if killed {
			delay = s.randDuration(s.restartMin, s.restartMax)
		} else {
			s.mu.Lock()
			s.selfExits[p.kind]++
			s.mu.Unlock()
			fmt.Fprintf(s.progress, "chaos: %s exited by itself (%v); restarting it\n", p.name, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// run starts p once and waits for it to exit.
func (s *supervisor) run(p *process, logPath string) error {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout = f
	cmd.Stderr = f
	if p.stderr != nil {
		cmd.Stderr = io.MultiWriter(f, &lineWriter{fn: p.stderr})
	}
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return nil
	}
	p.starts++
	fmt.Fprintf(f, "=== chaos: start %d of %s at %s\n", p.starts, p.name, time.Now().UTC().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		return err
	}
	p.cmd, p.up = cmd, true
	p.mu.Unlock()
	err = cmd.Wait()
	fmt.Fprintf(f, "=== chaos: %s ended at %s: %v\n", p.name, time.Now().UTC().Format(time.RFC3339Nano), err)
	return err
}

// killOne SIGKILLs a random running killable process, unless maxDown
// processes are down already (killed or exited, and not started again
// yet): as every process is started again, nothing is kept from
// progressing for good. It returns the victim, or nil.
func (s *supervisor) killOne(maxDown int) *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	var alive []*process
	down := 0
	for _, p := range s.procs {
		p.mu.Lock()
		if p.killed || !p.up {
			down++
		} else if p.killable {
			alive = append(alive, p)
		}
		p.mu.Unlock()
	}
	if down >= maxDown || len(alive) == 0 {
		return nil
	}
	p := alive[s.rng.IntN(len(alive))]
	p.mu.Lock()
	defer p.mu.Unlock()
	p.killed = true
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	s.kills[p.kind]++
	return p
}

// chaos kills a process about every `every` (±50 %), with at most
// maxDown down at once, until ctx ends.
func (s *supervisor) chaos(ctx context.Context, every time.Duration, maxDown int) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.randDuration(every/2, every*3/2)):
		}
		if p := s.killOne(maxDown); p != nil {
			fmt.Fprintf(s.progress, "chaos: killed %s\n", p.name)
		}
	}
}

// allUp waits until every process runs (after the last kill's restart).
func (s *supervisor) allUp(ctx context.Context) error {
	for {
		s.mu.Lock()
		up := true
		for _, p := range s.procs {
			p.mu.Lock()
			up = up && p.up && !p.killed
			p.mu.Unlock()
		}
		s.mu.Unlock()
		if up {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop ends every process (SIGTERM, then SIGKILL after 10 s), in the
// reverse order of their starts, and waits for the supervision to end.
func (s *supervisor) stop() {
	s.mu.Lock()
	procs := append([]*process(nil), s.procs...)
	s.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		p.mu.Lock()
		p.stopping = true
		cmd, up := p.cmd, p.up
		p.mu.Unlock()
		if !up {
			continue
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		kill := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
		defer kill.Stop()
	}
	s.wg.Wait()
}

// hup sends SIGHUP to p (the sim reloads its fleet on it).
func (p *process) hup() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.up {
		return fmt.Errorf("%s is not running", p.name)
	}
	return p.cmd.Process.Signal(syscall.SIGHUP)
}

func (s *supervisor) randDuration(lo, hi time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

// counts returns the kills and the self-exits per kind of process.
func (s *supervisor) counts() (kills, selfExits map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kills, selfExits = map[string]int{}, map[string]int{}
	for _, p := range s.procs {
		kills[p.kind] += 0
		selfExits[p.kind] += 0
	}
	for k, n := range s.kills {
		kills[k] = n
	}
	for k, n := range s.selfExits {
		selfExits[k] = n
	}
	return kills, selfExits
}

// perKind formats counts as "kind=N ..." sorted by kind.
func perKind(counts map[string]int) string {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	out := ""
	for i, k := range kinds {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%s=%d", k, counts[k])
	}
	return out
}

// lineWriter calls fn with every complete line written to it.
type lineWriter struct {
	fn  func(string)
	buf []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.fn(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
