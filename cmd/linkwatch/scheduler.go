package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/scheduler"
)

func newSchedulerCmd() *cobra.Command {
	opts := &serviceOptions{}
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Publish one probe job per device every interval",
		Long: `scheduler publishes one probe job per device to linkwatch.jobs.<site> every
interval, spread over the interval by a stable per-device phase. Jobs carry
the message id <device>@<slot>, so several schedulers may run side by side.
SIGHUP re-reads the inventory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := opts.setup(cmd)
			if err != nil {
				return err
			}
			if cfg.NATS.URL == "" {
				return fmt.Errorf("nats.url is not set: the scheduler needs a NATS server (or use `linkwatch run`)")
			}
			ctx := cmd.Context()
			reg, health := app.NewRegistry(), &app.Health{}
			wait := app.NATSWaiter(cfg, proto.RoleScheduler, log)
			health.AddNATSWait(proto.RoleScheduler, wait)
			if err := app.ServeMetrics(ctx, opts.metricsListen, reg, health, log); err != nil {
				return err
			}
			nc, js, err := app.Connect(ctx, cfg, proto.RoleScheduler, log, wait)
			if err != nil {
				return err
			}
			defer nc.Close()
			health.AddScheduler(nc, js)
			s := scheduler.NewWithMetrics(js, app.Inventory(cfg), log, nil, reg)
			live := app.NewLive(cfg)
			apply := app.SchedulerReload(s, js, live, log)
			load := func() (*config.Config, error) { return config.Load(opts.config) }
			return app.RunAll(ctx, s.Run, func(ctx context.Context) error {
				return app.ReloadLoop(ctx, hangups(ctx), load, apply, log)
			}, func(ctx context.Context) error { return app.Keep(ctx, live, proto.RoleScheduler, js, log) })
		},
	}
	opts.addFlags(cmd)
	return cmd
}
