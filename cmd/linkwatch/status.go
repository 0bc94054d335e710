package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
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
	color  termstyle.Mode
	sort   string
	watch  time.Duration
	out    io.Writer
	getenv func(string) string
	now    func() time.Time
}

// statusSorts are the orders --sort takes: worst first, or the
// inventory's.
var statusSorts = []string{"state", "device"}

// defaultWatch is the refresh interval of --watch without a value.
const defaultWatch = 2 * time.Second

func newStatusCmd() *cobra.Command {
	opts := &statusOptions{getenv: os.Getenv, now: time.Now}
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
every page.

The table lists the worst first (DOWN and ERROR, FLAPPING, DROP, STALE,
UNKNOWN, UP; then by site, device and target; --sort device for the
inventory's order), times as "3m ago", "-" where a value does not apply
(the loss and RTT of a link without a fresh measurement), the NOTE cut
to the terminal's width, and a summary line of the counts by state. On a
terminal the states are coloured, unless NO_COLOR is set or --color
never. --output json keeps every row whole: absolute times, the full
error, the inventory's order, no summary.

--watch redraws the table every interval (2s, or --watch 10s) until
interrupted: on a terminal in place, on a pipe as a new table after a
"--- TIME" line.`,
		Args: func(cmd *cobra.Command, args []string) error {
			return watchArg(cmd, args, &opts.watch)
		},
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
	addColorFlag(cmd, &opts.color)
	cmd.Flags().StringVar(&opts.sort, "sort", "state", "table order: state (worst first) or device")
	cmd.Flags().DurationVar(&opts.watch, "watch", 0, "redraw the table every interval until interrupted (2s without a value)")
	cmd.Flags().Lookup("watch").NoOptDefVal = defaultWatch.String()
	return cmd
}

// watchArg takes the interval of `status --watch 10s`: pflag reads a
// value only as --watch=10s, leaving 10s an argument. Any other argument
// is refused.
func watchArg(cmd *cobra.Command, args []string, watch *time.Duration) error {
	if len(args) == 1 && cmd.Flags().Changed("watch") {
		if d, err := time.ParseDuration(args[0]); err == nil {
			*watch = d
			return nil
		}
	}
	return cobra.NoArgs(cmd, args)
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
	if !slices.Contains(statusSorts, opts.sort) {
		return fmt.Errorf("--sort %q: must be state or device", opts.sort)
	}
	switch {
	case opts.watch < 0 || opts.watch > 0 && opts.watch < 100*time.Millisecond:
		return fmt.Errorf("--watch %s: must be at least 100ms", opts.watch)
	case opts.watch > 0 && opts.output == outputJSON:
		return errors.New("--watch draws a table; for changes as JSON lines use linkwatch tail --output json")
	}
	nc, err := dialConfig(ctx, opts.config, func(cfg *config.Config) error {
		return checkNames(cfg, opts.site, opts.device)
	})
	if err != nil {
		return err
	}
	defer nc.Close()
	if opts.watch > 0 {
		return watchStatus(ctx, opts, nc, want)
	}
	rows, err := opts.query(ctx, nc, want)
	if err != nil {
		return err
	}
	if opts.output == outputJSON {
		return writeStatusJSON(opts.out, rows)
	}
	return writeStatusTable(opts.out, opts.order(rows), opts.view())
}

// query asks the notifier for the rows, within queryTimeout.
func (opts *statusOptions) query(ctx context.Context, nc *nats.Conn, want string) ([]statusRow, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	return queryStatusRows(ctx, nc, opts.site, opts.device, want)
}

// order sorts rows for the table as --sort says.
func (opts *statusOptions) order(rows []statusRow) []statusRow {
	if opts.sort == "state" {
		return worstFirst(rows)
	}
	return rows
}

// view is how the table looks on opts.out now.
func (opts *statusOptions) view() tableView {
	return tableView{style: termstyle.Detect(opts.out, opts.color, opts.getenv), now: opts.now()}
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

// queryTimeout bounds one question to the notifier, all its pages.
const queryTimeout = 15 * time.Second

// withNATS connects to the NATS server the configuration names (or the
// embedded server of a running `linkwatch run`) and calls f, bounded by
// queryTimeout.
func withNATS(ctx context.Context, configPath string, f func(context.Context, *config.Config, *nats.Conn) error) error {
	var cfg *config.Config
	nc, err := dialConfig(ctx, configPath, func(c *config.Config) error { cfg = c; return nil })
	if err != nil {
		return err
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	return f(ctx, cfg, nc)
}

// dialConfig loads the configuration, lets check refuse it (a name the
// command was given that it does not know), and connects as the CLI to
// the NATS server it names; the caller closes the connection. The client
// reconnects for as long as it is open: a command that watches outlives a
// restart of linkwatch run.
func dialConfig(ctx context.Context, configPath string, check func(*config.Config) error) (*nats.Conn, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, err
	}
	if err := check(cfg); err != nil {
		return nil, err
	}
	nc, err := app.Dial(ctx, cfg, proto.RoleCLI, "linkwatch cli", nil, nats.Timeout(5*time.Second),
		nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("%w (is linkwatch running?)", err)
	}
	return nc, nil
}
