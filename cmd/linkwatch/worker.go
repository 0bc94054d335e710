package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
)

func newWorkerCmd() *cobra.Command {
	opts := &serviceOptions{}
	var site, id string
	cmd := &cobra.Command{
		Use:   "worker --site SITE",
		Short: "Probe the devices of one site as jobs arrive",
		Long: `worker takes probe jobs for one site from NATS, logs into each device over
SSH, pings its targets and publishes the result. All workers of a site
share one durable consumer: add workers to spread the load; a job of a
worker that dies is redelivered to another. Credentials are resolved here,
from the configuration's password_env / password_file. A job only names a
device: host, platform, credential and targets come from this worker's own
configuration, and jobs for devices it does not have are refused. SIGHUP
re-reads the configuration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := opts.setup(cmd)
			if err != nil {
				return err
			}
			role, err := proto.WorkerRole(site)
			if err != nil {
				return fmt.Errorf("--site: %w", err)
			}
			if err := cfg.CheckSite(site); err != nil {
				return fmt.Errorf("--site %w", err)
			}
			if id == "" {
				id = app.WorkerID()
			}
			ctx := cmd.Context()
			reg, health := app.NewRegistry(), &app.Health{}
			wait := app.NATSWaiter(cfg, role, log)
			health.AddNATSWait(role, wait)
			if err := app.ServeMetrics(ctx, opts.metricsListen, reg, health, log); err != nil {
				return err
			}
			nc, js, err := app.Connect(ctx, cfg, role, log, wait)
			if err != nil {
				return err
			}
			defer nc.Close()
			live := app.NewLive(cfg)
			w, err := app.Worker(js, live, site, id, nil, worker.NewMetrics(reg), log)
			if err != nil {
				return err
			}
			if err := health.AddWorker(site, nc, w); err != nil {
				return err
			}
			// SIGHUP re-reads the inventory and the credentials.
			load := func() (*config.Config, error) { return config.Load(opts.config) }
			apply := func(_ context.Context, next *config.Config) { live.Swap(next) }
			return app.RunAll(ctx, w.Run, func(ctx context.Context) error {
				return app.ReloadLoop(ctx, hangups(ctx), load, apply, log)
			})
		},
	}
	opts.addFlags(cmd)
	cmd.Flags().StringVar(&site, "site", "", "the site (VPN segment) whose devices this worker can reach")
	cmd.Flags().StringVar(&id, "id", "", "this worker's id in results (default: host name and pid)")
	_ = cmd.MarkFlagRequired("site")
	return cmd
}
