package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
)

func newNotifierCmd() *cobra.Command {
	opts := &serviceOptions{}
	cmd := &cobra.Command{
		Use:   "notifier",
		Short: "Keep link state and email the NOC on change",
		Long: `notifier consumes probe results, applies the confirmation rule, commits each
result to the store in one atomic step (state, history, outbox) and emails
the alerts, grouped over notify.group_wait. It also answers the status and
history requests of the CLI. Results are accepted only for the devices of
the configuration, from their own site; SIGHUP re-reads it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := opts.setup(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			// Mistakes in the configuration fail before any wait.
			openStore, err := app.StoreOpener(cfg)
			if err != nil {
				return err
			}
			sender, err := app.Sender(cfg, opts.stdout, log)
			if err != nil {
				return err
			}
			reg, health := app.NewRegistry(), &app.Health{}
			natsWait, storeWait := app.NATSWaiter(cfg, proto.RoleNotifier, log), app.StoreWaiter(cfg, log)
			health.AddNATSWait(proto.RoleNotifier, natsWait)
			if cfg.State.RedisURL != "" {
				health.Add("store", storeWait.Check)
			}
			if err := app.ServeMetrics(ctx, opts.metricsListen, reg, health, log); err != nil {
				return err
			}
			nc, js, err := app.Connect(ctx, cfg, proto.RoleNotifier, log, natsWait)
			if err != nil {
				return err
			}
			defer nc.Close()
			st, err := openStore(ctx, storeWait)
			if err != nil {
				return err
			}
			defer st.Close()
			// SIGHUP re-reads the inventory whose results are accepted.
			live := app.NewLive(cfg)
			load := func() (*config.Config, error) { return config.Load(opts.config) }
			apply := func(_ context.Context, next *config.Config) { live.Swap(next) }
			n := app.Notifier(js, nc, st, sender, live, reg, log)
			health.AddNotifier(nc, js, st, n)
			return app.RunAll(ctx, n.Run, func(ctx context.Context) error {
				return app.ReloadLoop(ctx, hangups(ctx), load, apply, log)
			}, func(ctx context.Context) error { return app.Keep(ctx, live, proto.RoleNotifier, js, log) })
		},
	}
	opts.addFlags(cmd)
	return cmd
}
