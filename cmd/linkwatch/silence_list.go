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
	"github.com/linkwatch/linkwatch/notifier/state"
)

type silenceListOptions struct {
	config string
	output outputFormat
	out    io.Writer
}

func newSilenceListCmd() *cobra.Command {
	opts := &silenceListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the silences in force, to come and recently ended",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runSilenceList(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	addOutputFlag(cmd, &opts.output)
	return cmd
}

// silenceRow is one silence in silence list output; its JSON form is a
// contract.
type silenceRow struct {
	ID        string `json:"id"`
	State     string `json:"state"` // active, pending, ended or expired
	Site      string `json:"site,omitempty"`
	Device    string `json:"device,omitempty"`
	Target    string `json:"target,omitempty"`
	Start     string `json:"start"`
	End       string `json:"end"`
	CreatedBy string `json:"created_by"`
	ExpiredBy string `json:"expired_by,omitempty"`
	Window    string `json:"window,omitempty"`
	Comment   string `json:"comment"`
}

func runSilenceList(ctx context.Context, opts *silenceListOptions) error {
	var rep api.SilenceListReply
	err := withNATS(ctx, opts.config, func(ctx context.Context, _ *config.Config, nc *nats.Conn) (err error) {
		rep, err = api.ListSilences(ctx, nc)
		return err
	})
	if err != nil {
		return err
	}
	rows := make([]silenceRow, len(rep.Silences))
	for i, s := range rep.Silences {
		rows[i] = silenceRow{ID: s.ID, State: silenceState(s, rep.Now), Site: s.Site, Device: s.Device, Target: s.Target,
			Start: timeText(s.Start), End: timeText(s.End), CreatedBy: s.CreatedBy, ExpiredBy: s.ExpiredBy,
			Window: s.Window, Comment: s.Comment}
	}
	if opts.output == outputJSON {
		return writeJSONLines(opts.out, rows, "silences")
	}
	tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tSCOPE\tSTART\tEND\tBY\tCOMMENT")
	for i, r := range rows {
		by := r.CreatedBy
		if r.ExpiredBy != "" {
			by += " (expired by " + r.ExpiredBy + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.State, silenceScope(rep.Silences[i]), r.Start, r.End,
			oneLine(by), oneLine(r.Comment))
	}
	return tw.Flush()
}

// silenceState words where s stands at now.
func silenceState(s state.Silence, now time.Time) string {
	switch {
	case s.Active(now):
		return "active"
	case now.Before(s.Start):
		return "pending"
	case s.ExpiredBy != "":
		return "expired"
	}
	return "ended"
}
