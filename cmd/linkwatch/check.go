package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
)

type checkOptions struct {
	config  string
	output  outputFormat
	notify  bool     // also update state and send alerts, like one cron run
	devices []string // only these devices (--device); none: every one
	sites   []string // only the devices of these sites (--site)
	out     io.Writer
	errOut  io.Writer
	// progress shows a live progress line on errOut (when it is a terminal).
	progress  bool
	log       *slog.Logger // at --log-level
	notifyLog *slog.Logger // the same, warnings at least: --notify's notifier
	// gathered, when set, is told of each device whose result is kept
	// (tests interrupt a run at a known point with it).
	gathered func(device string)
}

func newCheckCmd() *cobra.Command {
	opts := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Probe every device once and print one row per link",
		Long: `check logs into every configured device once, pings each of its targets from
the device's own CLI, and prints one row per link: a table, or JSON lines
with --output json. A device that cannot be probed gives one row per target
with status UNKNOWN and the failure kind in the error column.

With --notify, check also does what the notifier does with each result —
state, history and alerts in the store — and sends the alerts before it
exits: one cron run of the classic script. It needs the store to itself:
do not use it on the embedded store of a running linkwatch run.

--device and --site (each repeatable, or comma-separated) probe only those
devices, or the devices of those sites; a name the configuration does not
have is an error listing the ones it has.

Interrupted (Ctrl-C, SIGTERM), check stops probing and prints the rows of
the devices it had finished, says how many on standard error, and exits
with status 130. With --notify, only those results are applied; the alerts
they raise wait in the store's outbox for the next run or the notifier.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opts.progress = isTerminal(opts.errOut)
			opts.log, opts.notifyLog = commandLogger(cmd, slog.LevelDebug), commandLogger(cmd, slog.LevelWarn)
			return runCheck(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "")
	addOutputFlag(cmd, &opts.output)
	cmd.Flags().BoolVar(&opts.notify, "notify", false, "also update link state and email the changes")
	cmd.Flags().StringSliceVar(&opts.devices, "device", nil, "probe only these devices")
	cmd.Flags().StringSliceVar(&opts.sites, "site", nil, "probe only the devices of these sites")
	return cmd
}

// logger is l, or when nil (opts built by a test) text on errOut at level.
func (opts *checkOptions) logger(l *slog.Logger, level slog.Level) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(logHandler(opts.errOut, logText, level))
}

func runCheck(ctx context.Context, opts *checkOptions) error {
	cfg, err := config.Load(opts.config)
	if err != nil {
		return err
	}
	chosen, err := selectDevices(cfg, opts.devices, opts.sites)
	if err != nil {
		return err
	}
	devices, err := app.ProbeDevices(cfg, chosen)
	if err != nil {
		return err
	}
	var n *notifier.Notifier
	if opts.notify {
		var closeStore func()
		n, closeStore, err = checkNotifier(ctx, cfg, opts)
		if err != nil {
			return err
		}
		defer closeStore()
	}
	// check runs without the bus: host keys it pins on first contact are
	// kept in a file of its own under data_dir.
	pins := &worker.FilePins{Path: app.CheckPinsFile(cfg)}
	prober, err := app.Prober(cfg, cfg.Sites(), pins, "check "+app.WorkerID(), opts.logger(opts.log, slog.LevelInfo))
	if err != nil {
		return err
	}
	limiter := worker.NewLimiter(cfg.Worker.Concurrency, cfg.Worker.SiteConcurrency)

	byName := make(map[string]worker.Device, len(devices))
	for _, d := range devices {
		byName[d.Name] = d
	}
	var notifyErr error
	var rows []checkRow
	var done atomic.Int64
	stopProgress := startProgress(ctx, opts, &done, len(devices))
	enc := json.NewEncoder(opts.out)
	var encErr error
	var gathered int
	worker.ProbeAll(ctx, prober, devices, limiter, func(r worker.DeviceResult) {
		done.Add(1)
		if ctx.Err() != nil {
			return // cut short by the interruption: not a result
		}
		gathered++
		if opts.gathered != nil {
			opts.gathered(r.Device)
		}
		if n != nil {
			if err := n.Apply(ctx, worker.ResultProto(&proto.ProbeJob{Device: r.Device, Site: r.Site}, "check", r)); err != nil && notifyErr == nil {
				notifyErr = err
			}
		}
		rs := rowsFor(r, byName[r.Device])
		if opts.output == outputJSON {
			for _, row := range rs {
				if err := enc.Encode(row); err != nil && encErr == nil {
					encErr = fmt.Errorf("write result: %w", err)
				}
			}
			return
		}
		rows = append(rows, rs...)
	})
	stopProgress()
	if encErr != nil {
		return encErr
	}
	if opts.output == outputTable {
		if err := writeTable(opts.out, rows); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("check interrupted: %d of %d devices probed, their rows printed: %w", gathered, len(devices), err)
	}
	if n == nil {
		return nil
	}
	if notifyErr != nil {
		return notifyErr
	}
	return n.Flush(ctx)
}

// checkNotifier opens the store and the mail sender for --notify. Emails
// without SMTP go to standard error, so they do not mix with the rows.
func checkNotifier(ctx context.Context, cfg *config.Config, opts *checkOptions) (*notifier.Notifier, func(), error) {
	st, err := app.OpenStore(ctx, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	log := opts.logger(opts.notifyLog, slog.LevelWarn)
	sender, err := app.Sender(cfg, opts.errOut, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	n := notifier.New(nil, nil, st, sender, app.NotifierConfig(app.NewLive(cfg), nil, log))
	return n, func() { st.Close() }, nil
}

// checkRow is one link in check's output; its JSON form is a contract.
type checkRow struct {
	Device    string   `json:"device"`
	Site      string   `json:"site"`
	Target    string   `json:"target"`
	VRF       string   `json:"vrf,omitempty"`
	Status    string   `json:"status"`
	Sent      int      `json:"sent"`
	Received  int      `json:"received"`
	RTTMinMs  *float64 `json:"rtt_min_ms,omitempty"`
	RTTAvgMs  *float64 `json:"rtt_avg_ms,omitempty"`
	RTTMaxMs  *float64 `json:"rtt_max_ms,omitempty"`
	Failure   string   `json:"failure,omitempty"`
	Error     string   `json:"error,omitempty"`
	CheckedAt string   `json:"checked_at"`
	order     int
}

// statusUnknown is the status of a row whose link was not measured: its
// device could not be probed. It is not a link status (proto.LinkStatus):
// no link is ever stored or alerted as UNKNOWN.
const statusUnknown = "UNKNOWN"

// rowsFor gives one row per configured target of the result's device:
// measured links as measured, the rest UNKNOWN with the device failure.
func rowsFor(r worker.DeviceResult, dev worker.Device) []checkRow {
	rows := make([]checkRow, 0, len(dev.Targets))
	for i, t := range dev.Targets {
		row := checkRow{Device: r.Device, Site: r.Site, Target: t.Target, VRF: t.VRF, order: i,
			Status: statusUnknown, CheckedAt: r.CheckedAt.UTC().Format(time.RFC3339)}
		if i < len(r.Links) {
			l := r.Links[i]
			row.Status, row.Sent, row.Received = l.Status.Short(), l.Sent, l.Received
			row.RTTMinMs, row.RTTAvgMs, row.RTTMaxMs = l.RTTMinMs, l.RTTAvgMs, l.RTTMaxMs
			row.Error, row.CheckedAt = l.Error, l.CheckedAt.UTC().Format(time.RFC3339)
		} else if r.Failed() {
			row.Failure = r.Failure.Short()
			row.Error = row.Failure + ": " + r.FailureText
		}
		rows = append(rows, row)
	}
	return rows
}

func writeTable(w io.Writer, rows []checkRow) error {
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Device != rows[j].Device {
			return rows[i].Device < rows[j].Device
		}
		return rows[i].order < rows[j].order
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSITE\tTARGET\tSTATUS\tRECV/SENT\tRTT MIN/AVG/MAX MS\tERROR")
	for _, r := range rows {
		counts := "-"
		if r.Status != statusUnknown && r.Status != proto.LinkStatus_LINK_STATUS_ERROR.Short() {
			counts = fmt.Sprintf("%d/%d", r.Received, r.Sent)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Device, r.Site, targetText(r.Target, r.VRF), r.Status, counts, rttText(r), oneLine(r.Error))
	}
	return tw.Flush()
}

// targetText shows a link's target, with its VRF when it has one.
func targetText(target, vrf string) string {
	if vrf == "" {
		return target
	}
	return target + " (vrf " + vrf + ")"
}

func rttText(r checkRow) string {
	if r.RTTMinMs == nil || r.RTTAvgMs == nil || r.RTTMaxMs == nil {
		return "-"
	}
	return fmt.Sprintf("%g/%g/%g", *r.RTTMinMs, *r.RTTAvgMs, *r.RTTMaxMs)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// startProgress draws "probed N/M devices" on errOut while the run lasts,
// when errOut is a terminal. The returned func stops it and clears the line.
func startProgress(ctx context.Context, opts *checkOptions, done *atomic.Int64, total int) func() {
	if !opts.progress {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			fmt.Fprintf(opts.errOut, "\rprobed %d/%d devices", done.Load(), total)
			select {
			case <-t.C:
			case <-stop:
				fmt.Fprint(opts.errOut, "\r\033[K")
				return
			case <-ctx.Done():
				fmt.Fprint(opts.errOut, "\r\033[K")
				return
			}
		}
	}()
	return func() { close(stop); <-finished }
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
