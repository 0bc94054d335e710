package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/bench"
)

// benchOptions are the flags of `linkwatch bench`.
type benchOptions struct {
	bench.Options
	output outputFormat
	out    io.Writer
}

func newBenchCmd() *cobra.Command {
	opts := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the probe path over SSH, or one cycle of the whole system",
		Long: `bench measures linkwatch's probe path against simulated devices that it serves
from a child "linkwatch sim" (--devices, --targets, --platform), or against
the devices of --config: probes per second, CPU seconds per probe and peak
RSS of the bench process (rusage; the simulator is another process), and
the p50 and p99 time of one probe, for --probes probes, --concurrency at
once, each device in turn.

--mode per-probe is the worker's probe (connect, log in, set up, ping every
target, close); baseline-ssh is the floor, the same lines typed by a bare
SSH client, for the ratio of the two in one run.

--pipeline runs one cycle of "linkwatch run" in this process (embedded NATS,
scheduler, workers, notifier) with every device's job due at once, and
reports the time until every device has a result stored and the link
results stored per second. It has a NATS server and a store of its own (the
embedded one in a temporary directory, or the Redis of --redis-url or
state.redis_url under a key prefix of its own, left there), and sends no
email.

Only devices on a loopback address are benched unless --allow-remote is
given: bench logs in to every device about probes/devices times.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := benchFlagsAgree(cmd); err != nil {
				return err
			}
			opts.out, opts.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opts.Log = commandLogger(cmd, slog.LevelWarn)
			return runBench(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Devices, "devices", 300, "simulated devices")
	f.IntVar(&opts.Targets, "targets", 1, "targets (links) of each simulated device")
	f.StringVar(&opts.Platform, "platform", "cisco_iosxe", "platform of the simulated devices")
	f.StringVarP(&opts.Config, "config", "c", "", "bench the devices of this configuration file instead of simulated ones")
	f.BoolVar(&opts.AllowRemote, "allow-remote", false, "bench devices of --config that are not on a loopback address")
	f.StringVar(&opts.Mode, "mode", bench.ModePerProbe, "how to probe: per-probe, persistent or baseline-ssh")
	f.IntVar(&opts.Concurrency, "concurrency", 50, "devices probed at once (with --pipeline, worker.concurrency)")
	f.IntVar(&opts.Probes, "probes", 600, "probes to make")
	f.BoolVar(&opts.Pipeline, "pipeline", false, "run one cycle of the whole system instead of probes")
	f.StringVar(&opts.RedisURL, "redis-url", "", "with --pipeline, keep state in this Redis (default: state.redis_url, else the embedded store)")
	f.DurationVar(&opts.Timeout, "timeout", 30*time.Minute, "give up after this long")
	f.StringVar(&opts.CPUProfile, "cpuprofile", "", "write a pprof CPU profile of the measured probes to this file")
	_ = f.MarkHidden("cpuprofile") // a developer's tool, not a figure
	addOutputFlag(cmd, &opts.output)
	return cmd
}

// benchFlagsAgree refuses flags that do not apply together.
func benchFlagsAgree(cmd *cobra.Command) error {
	var errs []error
	if cmd.Flags().Changed("config") {
		for _, name := range []string{"devices", "targets", "platform"} {
			if cmd.Flags().Changed(name) {
				errs = append(errs, fmt.Errorf("--%s: the devices are those of --config", name))
			}
		}
	} else if cmd.Flags().Changed("allow-remote") {
		errs = append(errs, errors.New("--allow-remote: only with --config; simulated devices are on 127.0.0.1"))
	}
	if cmd.Flags().Changed("pipeline") && cmd.Flags().Changed("probes") {
		errs = append(errs, errors.New("--probes: --pipeline probes every device once"))
	}
	return errors.Join(errs...)
}

func runBench(cmd *cobra.Command, opts *benchOptions) error {
	r, err := bench.Run(cmd.Context(), opts.Options)
	if err != nil {
		return err
	}
	if opts.output == outputJSON {
		if err := json.NewEncoder(opts.out).Encode(r); err != nil {
			return fmt.Errorf("write result: %w", err)
		}
		return nil
	}
	return r.WriteTable(opts.out)
}
