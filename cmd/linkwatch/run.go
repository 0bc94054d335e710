package main

import (
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

func newRunCmd() *cobra.Command {
	opts := &serviceOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run scheduler, workers and notifier in one process",
		Long: `run starts the scheduler, a worker for every configured site and the notifier
in one process. Unless nats.url is set it embeds a NATS server (JetStream
under data_dir, listening on nats.listen so that the CLI and workers at
other sites can join); unless state.redis_url is set it keeps state in an
embedded store under data_dir. SIGHUP re-reads the device inventory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := opts.setup(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return app.Run(ctx, cfg, app.RunOptions{
				Log: log, Stdout: opts.stdout, Reload: hangups(ctx),
				Load: func() (*config.Config, error) { return config.Load(opts.config) },
			})
		},
	}
	opts.addFlags(cmd)
	return cmd
}
