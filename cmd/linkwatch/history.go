package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

type historyOptions struct {
	config string
	device string
	target string
	since  string
	limit  int
	output outputFormat
	out    io.Writer
	errOut io.Writer
	now    func() time.Time
}

func newHistoryCmd() *cobra.Command {
	opts := &historyOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "history [DEVICE [TARGET]]",
		Short: "Show the state changes of a device's links and reachability, or of every device, newest first",
		Long: `history asks the running notifier for the recorded changes, newest first: of
one link (DEVICE TARGET), of a device's links and its reachability (DEVICE;
a reachability change has target "-" and says the failure), or of every
device (no argument; at most ` + strconv.Itoa(api.MaxFleetHistory) + ` changes, said on stderr when more were
cut: use --since and --limit). The notifier answers in pages; history asks
for every page.`,
		Args: cobra.RangeArgs(0, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			if len(args) > 0 {
				opts.device = args[0]
			}
			if len(args) == 2 {
				opts.target = args[1]
			}
			return runHistory(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	cmd.Flags().StringVar(&opts.since, "since", "", "only changes since this long ago (90m, 24h, 7d) or this time (RFC 3339)")
	cmd.Flags().IntVar(&opts.limit, "limit", 0, "at most this many changes (0: all)")
	addOutputFlag(cmd, &opts.output)
	return cmd
}

func runHistory(ctx context.Context, opts *historyOptions) error {
	since, err := parseSince(opts.since, opts.now())
	if err != nil {
		return err
	}
	nc, err := dialConfig(ctx, opts.config, func(cfg *config.Config) error {
		if opts.device == "" {
			return nil
		}
		if err := cfg.CheckDevice(opts.device); err != nil {
			return fmt.Errorf("history: device %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rep, err := api.QueryHistory(ctx, nc, api.HistoryRequest{Device: opts.device, Target: opts.target,
		Since: since, Limit: opts.limit})
	if err != nil {
		return err
	}
	if rep.Capped && opts.errOut != nil {
		fmt.Fprintf(opts.errOut, "the newest %d changes of every device; older ones with --since or a device\n", api.MaxFleetHistory)
	}
	if opts.output == outputJSON {
		return writeJSONLines(opts.out, rep.Changes, "history")
	}
	tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tDEVICE\tSITE\tTARGET\tFROM\tTO\tRECV/SENT\tERROR")
	for i := range rep.Changes {
		c := &rep.Changes[i]
		from, target, counts, text := changeCells(c)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", timeText(c.At), c.Device, c.Site, target, from, c.To,
			counts, oneLine(text))
	}
	return tw.Flush()
}

// changeCells are the texts of a change as history and tail show it:
// FROM ("(first seen)" for none), TARGET, RECV/SENT and the error ("-"
// for the target and counts of a device's reachability, whose error is
// its failure kind and text).
func changeCells(c *state.Change) (from, target, counts, text string) {
	from = c.From
	if from == "" {
		from = "(first seen)"
	}
	target, counts, text = targetText(c.Target, c.VRF), fmt.Sprintf("%d/%d", c.Received, c.Sent), c.Error
	if c.Target == "" { // the device's reachability
		target, counts = "-", "-"
		if c.Failure != "" {
			text = strings.TrimSpace(c.Failure + " " + c.Error)
		}
	}
	return from, target, counts, text
}

// parseSince reads --since: a duration back from now (Go's units, and d
// for days: 7d, 1d12h), or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := parseDuration(s); ok && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a duration (90m, 24h, 7d) or an RFC 3339 time", s)
	}
	return t, nil
}
