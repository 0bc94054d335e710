package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto/logdedup"
)

// serviceOptions are the flags every long-running service shares.
type serviceOptions struct {
	config        string
	metricsListen string
	stdout        io.Writer
	stderr        io.Writer
}

func (o *serviceOptions) addFlags(cmd *cobra.Command) {
	addConfigFlag(cmd, &o.config, "")
	cmd.Flags().StringVar(&o.metricsListen, "metrics-listen", "",
		"serve Prometheus metrics (/metrics) and health (/healthz, /readyz) on this address, e.g. 127.0.0.1:9108; in a container 0.0.0.0:9090 (default: off)")
}

// setup loads the configuration and builds the logger (on stderr, at
// --log-level, in --log-format).
func (o *serviceOptions) setup(cmd *cobra.Command) (*config.Config, *slog.Logger, error) {
	o.stdout, o.stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
	cfg, err := config.Load(o.config)
	if err != nil {
		return nil, nil, err
	}
	// An outage makes many goroutines say the same thing at once: one line
	// a minute with a count says it (logdedup).
	log := slog.New(logdedup.New(commandHandler(cmd, slog.LevelDebug), logdedup.Options{}))
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
