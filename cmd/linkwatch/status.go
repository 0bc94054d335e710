package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/proto"
)

type statusOptions struct {
	config string
	site   string
	state  string
	output outputFormat
	out    io.Writer
}

func newStatusCmd() *cobra.Command {
	opts := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the current state of every link",
		Long: `status asks the running notifier (linkwatch run or linkwatch notifier, over
NATS) for the stored state and prints one row per link.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runStatus(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	cmd.Flags().StringVar(&opts.site, "site", "", "only links of this site")
	cmd.Flags().StringVar(&opts.state, "state", "", "only links in this state: "+linkStates())
	addOutputFlag(cmd, &opts.output)
	return cmd
}

// statusRow is one link in status output; its JSON form is a contract.
type statusRow struct {
	Device        string   `json:"device"`
	Site          string   `json:"site"`
	Target        string   `json:"target"`
	VRF           string   `json:"vrf,omitempty"`
	State         string   `json:"state"`
	Since         string   `json:"since"`
	LastChecked   string   `json:"last_checked"`
	Sent          int      `json:"sent"`
	Received      int      `json:"received"`
	LossPercent   float64  `json:"loss_percent"`
	RTTAvgMs      *float64 `json:"rtt_avg_ms,omitempty"`
	Error         string   `json:"error,omitempty"`
	DeviceFailure string   `json:"device_failure,omitempty"`
}

func runStatus(ctx context.Context, opts *statusOptions) error {
	status, ok := proto.LinkStatusFromShort(opts.state)
	if !ok || opts.state != "" && !status.Known() {
		return fmt.Errorf("--state %q: must be %s", opts.state, linkStates())
	}
	state := status.Short()
	var rep api.StatusReply
	err := withNATS(ctx, opts.config, func(ctx context.Context, _ *config.Config, nc *nats.Conn) (err error) {
		rep, err = api.QueryStatus(ctx, nc)
		return err
	})
	if err != nil {
		return err
	}
	rows := statusRows(rep.Devices, opts.site, state)
	if opts.output == outputJSON {
		return writeJSONLines(opts.out, rows, "status")
	}
	tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSITE\tTARGET\tSTATE\tSINCE\tLAST CHECKED\tLOSS\tRTT AVG\tNOTE")
	for _, r := range rows {
		rtt := "-"
		if r.RTTAvgMs != nil {
			rtt = fmt.Sprintf("%gms", *r.RTTAvgMs)
		}
		note := r.Error
		if r.DeviceFailure != "" {
			note = "device unreachable: " + r.DeviceFailure
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%g%%\t%s\t%s\n", r.Device, r.Site, targetText(r.Target, r.VRF), r.State,
			r.Since, r.LastChecked, r.LossPercent, rtt, oneLine(note))
	}
	return tw.Flush()
}

// linkStates words the link states a link may be in: "UP, DOWN, DROP or
// ERROR".
func linkStates() string {
	vals := proto.LinkStatus(0).Descriptor().Values()
	var names []string
	for i := range vals.Len() {
		if s := proto.LinkStatus(vals.Get(i).Number()); s.Known() {
			names = append(names, s.Short())
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func statusRows(devs []state.Device, site, state string) []statusRow {
	var rows []statusRow
	for _, d := range devs {
		if site != "" && d.Site != site {
			continue
		}
		for _, l := range d.Links {
			if state != "" && l.State != state {
				continue
			}
			rows = append(rows, statusRow{Device: d.Name, Site: d.Site, Target: l.Target, VRF: l.VRF, State: l.State,
				Since: timeText(l.Since), LastChecked: timeText(l.LastChecked), Sent: l.Sent, Received: l.Received,
				LossPercent: l.LossPercent, RTTAvgMs: l.RTTAvgMs, Error: l.Error, DeviceFailure: d.Failure})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Device != rows[j].Device {
			return rows[i].Device < rows[j].Device
		}
		return rows[i].Target < rows[j].Target
	})
	return rows
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// withNATS connects to the NATS server the configuration names (or the
// embedded server of a running `linkwatch run`) and calls f.
func withNATS(ctx context.Context, configPath string, f func(context.Context, *config.Config, *nats.Conn) error) error {
	cfg, err := config.Load(configPath)
	if err != nil {
		return err
	}
	nc, err := app.Dial(ctx, cfg, proto.RoleCLI, "linkwatch cli", nil, nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("%w (is linkwatch running?)", err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return f(ctx, cfg, nc)
}
