package main

import (
	"context"
	"fmt"
	"io"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/api"
)

type silenceExpireOptions struct {
	config string
	id     string
	out    io.Writer
	who    func() string
}

func newSilenceExpireCmd() *cobra.Command {
	opts := &silenceExpireOptions{who: whoAmI}
	cmd := &cobra.Command{
		Use:   "expire ID",
		Short: "End a silence now",
		Long: `expire ends a silence now. Each link it covered whose state differs from the
one last emailed is then reported once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.out, opts.id = cmd.OutOrStdout(), args[0]
			return runSilenceExpire(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	return cmd
}

func runSilenceExpire(ctx context.Context, opts *silenceExpireOptions) error {
	var rep api.SilenceReply
	err := withNATS(ctx, opts.config, func(ctx context.Context, _ *config.Config, nc *nats.Conn) (err error) {
		rep, err = api.ExpireSilence(ctx, nc, api.SilenceExpireRequest{ID: opts.id, By: opts.who()})
		return err
	})
	if err != nil {
		return err
	}
	s := rep.Silence
	by := ""
	if s.ExpiredBy != "" {
		by = ", expired by " + s.ExpiredBy
	}
	_, err = fmt.Fprintf(opts.out, "silence %s (%s) ended at %s%s\n", s.ID, silenceScope(s), timeText(s.End), by)
	return err
}
