package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
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
	device string
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
NATS) for the stored state and prints one row per link, and one per device
of the inventory with no link state yet (UNKNOWN: never reached, with its
failure, or not probed yet). A link whose device sent no result for
notify.stale_after (or whose site is without results) is STALE, its last
state in the NOTE column (last_state in JSON). The notifier answers in
pages and applies --site, --device and --state itself; status asks for
every page.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runStatus(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	cmd.Flags().StringVar(&opts.site, "site", "", "only links of this site")
	cmd.Flags().StringVar(&opts.device, "device", "", "only links of this device")
	cmd.Flags().StringVar(&opts.state, "state", "", "only rows in this state: "+statusStatesText())
	addOutputFlag(cmd, &opts.output)
	return cmd
}

// statusRow is one link in status output, or one device that has no link
// state yet (Target ""); its JSON form is a contract.
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
	// LastState is the link's state as last seen when State is STALE.
	LastState string `json:"last_state,omitempty"`
	// LastResult is when the notifier received the device's newest result.
	LastResult string `json:"last_result,omitempty"`
	// Note says why a row is STALE or UNKNOWN: "not probed yet", "site
	// without results".
	Note string `json:"note,omitempty"`
}

func runStatus(ctx context.Context, opts *statusOptions) error {
	want := strings.ToUpper(opts.state)
	if want != "" && !slices.Contains(state.ShownStates, want) {
		return fmt.Errorf("--state %q: must be %s", opts.state, statusStatesText())
	}
	var rows []statusRow
	err := withNATS(ctx, opts.config, func(ctx context.Context, _ *config.Config, nc *nats.Conn) (err error) {
		rows, err = queryStatusRows(ctx, nc, opts.site, opts.device, want)
		return err
	})
	if err != nil {
		return err
	}
	if opts.output == outputJSON {
		return writeStatusJSON(opts.out, rows)
	}
	tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSITE\tTARGET\tSTATE\tSINCE\tLAST CHECKED\tLOSS\tRTT AVG\tNOTE")
	for _, r := range rows {
		rtt := "-"
		if r.RTTAvgMs != nil {
			rtt = fmt.Sprintf("%gms", *r.RTTAvgMs)
		}
		target := targetText(r.Target, r.VRF)
		if target == "" {
			target = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%g%%\t%s\t%s\n", r.Device, r.Site, target, r.State,
			r.Since, r.LastChecked, r.LossPercent, rtt, oneLine(noteText(r)))
	}
	return tw.Flush()
}

// queryStatusRows asks the notifier on nc for every page of the status of
// site, device and state want (all when "") and makes their rows.
func queryStatusRows(ctx context.Context, nc *nats.Conn, site, device, want string) ([]statusRow, error) {
	rep, err := api.QueryStatus(ctx, nc, api.StatusRequest{Site: site, Device: device, State: want})
	if err != nil {
		return nil, err
	}
	// The notifier filters; so does statusRows, for a notifier that does
	// not yet.
	return statusRows(rep, site, device, want), nil
}

// statusStatesText words the states status shows and --state takes
// (state.ShownStates, by severity): "DOWN, DROP, … or UP".
func statusStatesText() string {
	n := len(state.ShownStates)
	return strings.Join(state.ShownStates[:n-1], ", ") + " or " + state.ShownStates[n-1]
}

// noteText is the NOTE column of a row.
func noteText(r statusRow) string {
	var parts []string
	if r.LastState != "" {
		parts = append(parts, "last "+r.LastState)
	}
	if r.Note != "" {
		parts = append(parts, r.Note)
	}
	if r.LastResult != "" && r.State == state.Stale {
		parts = append(parts, "last result "+r.LastResult)
	}
	switch {
	case r.DeviceFailure != "" && r.Target == "":
		parts = append(parts, "never reached: "+r.DeviceFailure+" "+r.Error)
	case r.DeviceFailure != "":
		parts = append(parts, "device unreachable: "+r.DeviceFailure)
	case r.Error != "":
		parts = append(parts, r.Error)
	}
	return strings.Join(parts, "; ")
}

// statusRows makes the rows of rep's devices at site, named device, in
// state want (all when ""): one per link, one per device with no link
// state yet (UNKNOWN); a stale device's are STALE.
func statusRows(rep api.StatusReply, site, device, want string) []statusRow {
	blind := map[string]bool{}
	for _, s := range rep.Sites {
		blind[s.Name] = s.Blind
	}
	n := 0
	for _, d := range rep.Devices {
		n += max(1, len(d.Links))
	}
	rows := make([]statusRow, 0, n)
	for _, d := range rep.Devices {
		if site != "" && d.Site != site || device != "" && d.Name != device {
			continue
		}
		from := len(rows)
		for _, r := range deviceRows(d, blind[d.Site]) {
			if want == "" || r.State == want {
				rows = append(rows, r)
			}
		}
		slices.SortFunc(rows[from:], rowOrder)
	}
	// The notifier sends the devices by name: the rows are in order
	// already, but for a notifier that does not.
	if !slices.IsSortedFunc(rows, rowOrder) {
		slices.SortFunc(rows, rowOrder)
	}
	return rows
}

// rowOrder orders rows by device, then target.
func rowOrder(a, b statusRow) int {
	return cmp.Or(strings.Compare(a.Device, b.Device), strings.Compare(a.Target, b.Target))
}

// deviceRows are the rows of one device.
func deviceRows(d api.DeviceStatus, siteBlind bool) []statusRow {
	note := ""
	switch {
	case d.Stale && siteBlind:
		note = "site without results"
	case d.Stale:
		note = "no recent result"
	}
	if len(d.Links) == 0 {
		r := statusRow{Device: d.Name, Site: d.Site, State: state.Unknown, Since: timeText(d.FailureSince),
			LastChecked: timeText(d.LastResult), Error: d.FailureText, DeviceFailure: d.Failure,
			LastResult: timeText(d.Received), Note: note}
		if d.NotProbed {
			r.Note = strings.TrimPrefix(note+"; not probed yet", "; ")
		}
		if d.Stale {
			r.State, r.LastState = api.RowState(d, nil), state.Unknown
		}
		return []statusRow{r}
	}
	rows := make([]statusRow, 0, len(d.Links))
	for _, l := range d.Links {
		r := statusRow{Device: d.Name, Site: d.Site, Target: l.Target, VRF: l.VRF, State: l.State,
			Since: timeText(l.Since), LastChecked: timeText(l.LastChecked), Sent: l.Sent, Received: l.Received,
			LossPercent: l.LossPercent, RTTAvgMs: l.RTTAvgMs, Error: l.Error, DeviceFailure: d.Failure,
			LastResult: timeText(d.Received), Note: note}
		if d.Stale {
			fresh := d
			fresh.Stale = false
			r.LastState = api.RowState(fresh, &l)
		}
		r.State = api.RowState(d, &l)
		rows = append(rows, r)
	}
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
