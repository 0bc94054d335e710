package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
)

type validateOptions struct {
	config string
	out    io.Writer
	errOut io.Writer
}

func newValidateCmd() *cobra.Command {
	opts := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a configuration file and report every problem in it",
		Long: `validate reads the configuration file as every other command would and
prints each problem on its own line, with line, column and field path. It
starts nothing, contacts no device and reads no password.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runValidate(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "")
	return cmd
}

func runValidate(_ context.Context, opts *validateOptions) error {
	cfg, err := config.Load(opts.config)
	var problems config.Errors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(opts.errOut, p)
		}
		return fmt.Errorf("%s: %s", opts.config, countNoun(len(problems), "problem"))
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(opts.out, "%s: ok (%s, %s, %s)\n", opts.config,
		countNoun(len(cfg.Devices), "device"), countNoun(cfg.Links(), "link"), countNoun(len(cfg.Sites()), "site"))
	return err
}

// countNoun writes a count and a noun, with an s unless the count is one.
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
