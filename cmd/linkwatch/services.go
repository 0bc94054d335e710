package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto/logdedup"
)

// serviceOptions are the flags every long-running service shares.
type serviceOptions struct {
	config        string
	logLevel      string
	metricsListen string
	stdout        io.Writer
	stderr        io.Writer
}

func (o *serviceOptions) addFlags(cmd *cobra.Command) {
	addConfigFlag(cmd, &o.config, "")
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.Flags().StringVar(&o.metricsListen, "metrics-listen", "",
		"serve Prometheus metrics (/metrics) and health (/healthz, /readyz) on this address, e.g. 127.0.0.1:9108; in a container 0.0.0.0:9090 (default: off)")
}

// setup loads the configuration and builds the logger (text on stderr).
func (o *serviceOptions) setup(cmd *cobra.Command) (*config.Config, *slog.Logger, error) {
	o.stdout, o.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(o.logLevel))); err != nil {
		return nil, nil, fmt.Errorf("--log-level %q: %w", o.logLevel, err)
	}
	cfg, err := config.Load(o.config)
	if err != nil {
		return nil, nil, err
	}
	// An outage makes many goroutines say the same thing at once: one line
	// a minute with a count says it (logdedup).
	log := slog.New(logdedup.New(slog.NewTextHandler(o.stderr, &slog.HandlerOptions{Level: level}), logdedup.Options{}))
	return cfg, log, nil
}

// hangups yields once per SIGHUP until ctx ends.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}
