package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

func newRunCmd() *cobra.Command {
	opts := &serviceOptions{}
	var sites []string
	var noWorkers bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run scheduler, workers and notifier in one process",
		Long: `run starts the scheduler, a worker for every configured site and the notifier
in one process. Unless nats.url is set it embeds a NATS server (JetStream
under data_dir, listening on nats.listen so that the CLI and workers at
other sites can join); unless state.redis_url is set it keeps state in an
embedded store under data_dir. SIGHUP re-reads the device inventory.

By default it runs a worker for every configured site. Where some sites are
only reachable from elsewhere, name the local ones with --sites and start
"linkwatch worker --site SITE" there, pointed at this process's NATS server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := opts.setup(cmd)
			if err != nil {
				return err
			}
			if noWorkers {
				sites = []string{}
			}
			for _, s := range sites {
				if err := cfg.CheckSite(s); err != nil {
					return fmt.Errorf("--sites %w", err)
				}
			}
			ctx := cmd.Context()
			return app.Run(ctx, cfg, app.RunOptions{Sites: sites, MetricsListen: opts.metricsListen,
				Log: log, Stdout: opts.stdout, Reload: hangups(ctx),
				Load: func() (*config.Config, error) { return config.Load(opts.config) },
			})
		},
	}
	opts.addFlags(cmd)
	cmd.Flags().StringSliceVar(&sites, "sites", nil, "run workers only for these sites (default: every configured site)")
	cmd.Flags().BoolVar(&noWorkers, "no-workers", false, "run no worker in this process")
	return cmd
}
