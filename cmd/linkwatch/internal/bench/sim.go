package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// simStart bounds how long the simulator may take to listen for every
// device.
const simStart = 5 * time.Minute

// simProc is a child `linkwatch sim` serving the bench's devices, in a
// process of its own so that its CPU and memory are not the bench's.
type simProc struct {
	cmd   *exec.Cmd
	done  chan struct{}
	addrs map[string]string // device name → host:port
}

// startSim writes fleet to dir and serves it with `linkwatch sim`, and
// returns once every one of names listens: the simulator prints one line
// per device, "name platform host:port".
func startSim(ctx context.Context, opts Options, dir string, fleet []byte, names []string) (*simProc, error) {
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, fleet, 0o600); err != nil {
		return nil, fmt.Errorf("write the simulator's fleet: %w", err)
	}
	exe := opts.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find the linkwatch binary to run the simulator: %w", err)
		}
	}
	cmd := exec.Command(exe, "sim", "--fleet", path, "--log-level", "warn")
	cmd.Stderr = opts.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the simulator: %w", err)
	}
	s := &simProc{cmd: cmd, done: make(chan struct{}), addrs: make(map[string]string, len(names))}
	listening := make(chan error, 1)
	go func() {
		listening <- s.read(out, len(names))
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(s.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, simStart)
	defer cancel()
	select {
	case err = <-listening:
	case <-ctx.Done():
		err = fmt.Errorf("the simulator's %d devices did not all listen: %w", len(names), ctx.Err())
	}
	if err == nil {
		err = s.check(names)
	}
	if err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// read takes the address of n devices from the simulator's output.
func (s *simProc) read(out io.Reader, n int) error {
	sc := bufio.NewScanner(out)
	for len(s.addrs) < n && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			return fmt.Errorf("the simulator printed %q, not a device's name, platform and address", sc.Text())
		}
		s.addrs[f[0]] = f[2]
	}
	if len(s.addrs) < n {
		return fmt.Errorf("the simulator stopped after %d of %d devices: %w", len(s.addrs), n, errors.Join(sc.Err(), io.ErrUnexpectedEOF))
	}
	return nil
}

func (s *simProc) check(names []string) error {
	for _, n := range names {
		if _, ok := s.addrs[n]; !ok {
			return fmt.Errorf("the simulator did not serve device %s", n)
		}
	}
	return nil
}

// stop ends the simulator: SIGTERM, then SIGKILL after 10 s.
func (s *simProc) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
