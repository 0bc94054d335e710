package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

type tailOptions struct {
	config   string
	site     string
	device   string
	interval time.Duration
	output   outputFormat
	color    termstyle.Mode
	out      io.Writer
	errOut   io.Writer
	getenv   func(string) string
	now      func() time.Time
}

func newTailCmd() *cobra.Command {
	opts := &tailOptions{getenv: os.Getenv, now: time.Now}
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print state changes of links and device reachability as they are recorded",
		Long: `tail prints each state change the notifier records, one line each, oldest
first, as it happens: links (FROM → TO) and device reachability (target
"-"), coloured like status on a terminal; --output json prints each change
as one JSON object per line, as history does.

tail asks the notifier's history every --interval for the changes since
the newest it has seen, less a look-back window (ten probe intervals, at
least ten minutes) for changes committed late from late results, and
prints only those it has not printed. The history is the notifier's
stored record, so a change committed while the notifier or tail's
connection was down is printed when it answers again, and none twice.
Interrupt (Ctrl-C) to stop.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			return runTail(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	cmd.Flags().StringVar(&opts.site, "site", "", "only changes at this site")
	cmd.Flags().StringVar(&opts.device, "device", "", "only changes of this device")
	cmd.Flags().DurationVar(&opts.interval, "interval", time.Second, "how often to ask the notifier")
	addOutputFlag(cmd, &opts.output)
	addColorFlag(cmd, &opts.color)
	return cmd
}

func runTail(ctx context.Context, opts *tailOptions) error {
	if opts.interval < 100*time.Millisecond {
		return fmt.Errorf("--interval %s: must be at least 100ms", opts.interval)
	}
	var lookback time.Duration
	nc, err := dialConfig(ctx, opts.config, func(cfg *config.Config) error {
		lookback = max(10*time.Minute, 10*cfg.Interval)
		return checkNames(cfg, opts.site, opts.device)
	})
	if err != nil {
		return err
	}
	defer nc.Close()
	f := &changeFeed{lookback: lookback, seen: map[changeKey]bool{}}
	style := termstyle.Detect(opts.out, opts.color, opts.getenv)
	tick := time.NewTicker(opts.interval)
	defer tick.Stop()
	var lastErr string
	for announced := false; ; {
		fresh, err := f.next(ctx, func(since time.Time, limit int) ([]state.Change, error) {
			return opts.ask(ctx, nc, since, limit)
		})
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			if err.Error() != lastErr {
				fmt.Fprintf(opts.errOut, "tail: %v; asking again every %s\n", err, opts.interval)
				lastErr = err.Error()
			}
		default:
			if lastErr != "" {
				fmt.Fprintln(opts.errOut, "tail: the notifier answers again")
				lastErr = ""
			}
			if !announced {
				fmt.Fprintln(opts.errOut, "tail: following the changes from now on (Ctrl-C to stop)")
				announced = true
			}
			if err := opts.print(fresh, style); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// ask asks the notifier for at most limit (0: all) changes of
// opts.device (every device's when "") since since, newest first, and
// keeps those at opts.site.
func (opts *tailOptions) ask(ctx context.Context, nc *nats.Conn, since time.Time, limit int) ([]state.Change, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rep, err := api.QueryHistory(ctx, nc, api.HistoryRequest{Device: opts.device, Since: since, Limit: limit})
	if err != nil {
		return nil, err
	}
	if opts.site == "" {
		return rep.Changes, nil
	}
	return slices.DeleteFunc(rep.Changes, func(c state.Change) bool { return c.Site != opts.site }), nil
}

// print writes changes, oldest first: a line each, or a JSON object each.
func (opts *tailOptions) print(changes []state.Change, style termstyle.Style) error {
	if opts.output == outputJSON {
		return writeJSONLines(opts.out, changes, "changes")
	}
	var b strings.Builder
	for i := range changes {
		b.WriteString(changeLine(&changes[i], style))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(opts.out, b.String()); err != nil {
		return fmt.Errorf("write changes: %w", err)
	}
	return nil
}

// changeLine is one change as tail prints it, the error cut to the
// terminal's width:
// "2026-11-29T10:03:04Z  dc1  r1  10.0.0.1  UP → DOWN  0/5 received  error".
func changeLine(c *state.Change, style termstyle.Style) string {
	from, target, counts, text := changeCells(c)
	if counts != "-" {
		counts += " received"
	}
	head := func(from, to string) string {
		return fmt.Sprintf("%s  %s  %s  %s  %s → %s  %s", c.At.UTC().Format(time.RFC3339), c.Site, c.Device, target,
			from, to, counts)
	}
	text = oneLineAll(text)
	if text == "" {
		return head(style.Paint(c.From, from), style.Paint(c.To, c.To))
	}
	width := 0
	if style.Width > 0 {
		width = max(style.Width-utf8.RuneCountInString(head(from, c.To))-2, 1)
	}
	return head(style.Paint(c.From, from), style.Paint(c.To, c.To)) + "  " + termstyle.Cut(text, width)
}
