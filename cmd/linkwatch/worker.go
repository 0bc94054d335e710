package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/proto"
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
from the configuration's password_env / password_file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := opts.setup(cmd)
			if err != nil {
				return err
			}
			if err := proto.ValidName(site); err != nil {
				return fmt.Errorf("--site: %w", err)
			}
			if id == "" {
				id = app.WorkerID()
			}
			ctx := cmd.Context()
			nc, js, err := app.Connect(ctx, natsURL(cfg), "linkwatch worker "+site, cfg.Interval, log)
			if err != nil {
				return err
			}
			defer nc.Close()
			w, err := app.Worker(js, cfg, site, id, nil, log)
			if err != nil {
				return err
			}
			return w.Run(ctx)
		},
	}
	opts.addFlags(cmd)
	cmd.Flags().StringVar(&site, "site", "", "the site (VPN segment) whose devices this worker can reach")
	cmd.Flags().StringVar(&id, "id", "", "this worker's id in results (default: host name and pid)")
	_ = cmd.MarkFlagRequired("site")
	return cmd
}
