package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/api"
)

type historyOptions struct {
	config string
	device string
	target string
	since  string
	limit  int
	output outputFormat
	out    io.Writer
	now    func() time.Time
}

func newHistoryCmd() *cobra.Command {
	opts := &historyOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "history DEVICE [TARGET]",
		Short: "Show the state changes of a device's links, newest first",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.out = cmd.OutOrStdout()
			opts.device = args[0]
			if len(args) == 2 {
				opts.target = args[1]
			}
			return runHistory(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	cmd.Flags().StringVar(&opts.since, "since", "", "only changes since this long ago (24h) or this time (RFC 3339)")
	cmd.Flags().IntVar(&opts.limit, "limit", 0, "at most this many changes (0: all)")
	addOutputFlag(cmd, &opts.output)
	return cmd
}

func runHistory(ctx context.Context, opts *historyOptions) error {
	since, err := parseSince(opts.since, opts.now())
	if err != nil {
		return err
	}
	var rep api.HistoryReply
	err = withNATS(ctx, opts.config, func(ctx context.Context, _ *config.Config, nc *nats.Conn) (err error) {
		rep, err = api.QueryHistory(ctx, nc, api.HistoryRequest{Device: opts.device, Target: opts.target,
			Since: since, Limit: opts.limit})
		return err
	})
	if err != nil {
		return err
	}
	if opts.output == outputJSON {
		return writeJSONLines(opts.out, rep.Changes, "history")
	}
	tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tDEVICE\tTARGET\tFROM\tTO\tRECV/SENT\tERROR")
	for _, c := range rep.Changes {
		from := c.From
		if from == "" {
			from = "(first seen)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", timeText(c.At), c.Device, c.Target, from, c.To,
			c.Received, c.Sent, oneLine(c.Error))
	}
	return tw.Flush()
}

// parseSince reads --since: a duration back from now, or a time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a duration (24h) or an RFC 3339 time", s)
	}
	return t, nil
}
