package worker

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/linkwatch/linkwatch/worker/ping"
	"github.com/linkwatch/linkwatch/worker/sim/simtest"
)

// BenchmarkProbePathFloor is BenchmarkProbePath's probe done by a bare
// x/crypto/ssh shell client: connect, login, pty and shell, the same setup
// and ping lines, each read until the platform's prompt, close. It is the
// floor the worker's probe path is judged against, on the same simulator.
//
//	go test -run '^$' -bench 'ProbePath' -benchmem -benchtime 600x ./worker/
func BenchmarkProbePathFloor(b *testing.B) {
	for _, platform := range ping.Platforms() {
		for _, c := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/c=%d", platform, c), func(b *testing.B) {
				benchFloor(b, platform, 300, c)
			})
		}
	}
}

func benchFloor(b *testing.B, platform string, n, concurrency int) {
	pl, c, err := platformCLI(platform)
	if err != nil {
		b.Fatal(err)
	}
	var f strings.Builder
	f.WriteString("devices:\n")
	for i := range n {
		fmt.Fprintf(&f, "  - { name: r%d, platform: %s, username: admin, password: pw, targets: { 10.0.0.1: up } }\n", i, platform)
	}
	srv := simtest.Start(b, f.String())
	cmd, err := pl.Command(ping.Params{Target: "10.0.0.1", Count: 1, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	lines := append(c.setupFor([]string{cmd}), cmd)
	cfg := &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password("pw")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second} // the simulator's throwaway keys
	sem := make(chan struct{}, concurrency)
	errs := make(chan error, b.N)
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for i := range b.N {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.Port(fmt.Sprintf("r%d", i%n))))
			errs <- floorProbe(addr, cfg, c, lines)
		}()
	}
	for range b.N {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/probe")
}

// floorProbe logs in, waits for the prompt, types each line and waits for
// the prompt after it, and closes.
func floorProbe(addr string, cfg *ssh.ClientConfig, c cli, lines []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	s, err := client.NewSession()
	if err != nil {
		return err
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.RequestPty("xterm", 255, 511, ssh.TerminalModes{ssh.ECHO: 1}); err != nil {
		return err
	}
	if err := s.Shell(); err != nil {
		return err
	}
	buf := make([]byte, 8<<10)
	var got []byte
	untilPrompt := func() error {
		got = got[:0]
		for {
			n, err := out.Read(buf)
			got = append(got, bytes.ReplaceAll(buf[:n], []byte("\r"), nil)...)
			if c.prompt.Match(got) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("no prompt (%w): %q", err, got)
			}
		}
	}
	if err := untilPrompt(); err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := in.Write([]byte(l + "\n")); err != nil {
			return err
		}
		if err := untilPrompt(); err != nil {
			return err
		}
	}
	return nil
}
