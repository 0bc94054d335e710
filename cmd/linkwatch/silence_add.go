package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/notifier/api"
	"github.com/linkwatch/linkwatch/notifier/state"
)

type silenceAddOptions struct {
	config  string
	site    string
	device  string
	target  string
	vrf     string
	forText string
	until   string
	comment string
	out     io.Writer
	now     func() time.Time
	who     func() string
}

func newSilenceAddCmd() *cobra.Command {
	opts := &silenceAddOptions{now: time.Now, who: whoAmI}
	cmd := &cobra.Command{
		Use:   "add (--device R [--target T [--vrf V]] | --site S) (--for 2h | --until TIME) --comment TEXT",
		Short: "Silence a device, a link or a site",
		Long: `add silences a device's links and its reachability (--device), one link of it
(--target, with --vrf when the target is in a VRF), or everything at a site,
site-level alerts included (--site alone). --site with --device checks that
the device is at that site.

--for is a duration (90m, 2h, 3d; at most 30d). --until is an RFC 3339 time
(2026-11-29T06:00:00+01:00), or a wall-clock time in notify.timezone:
"2026-11-29 06:00", or "06:00" for the next time the clock shows it.

The silence records who added it (your user@host) and --comment, which is
required (at most 500 bytes).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runSilenceAdd(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address and notify.timezone")
	f := cmd.Flags()
	f.StringVar(&opts.device, "device", "", "the device to silence")
	f.StringVar(&opts.target, "target", "", "only this link of the device (its target address)")
	f.StringVar(&opts.vrf, "vrf", "", "the VRF of --target, when it has one")
	f.StringVar(&opts.site, "site", "", "the site to silence (with --device: the device's site)")
	f.StringVar(&opts.forText, "for", "", "how long: 90m, 2h, 3d")
	f.StringVar(&opts.until, "until", "", "until when: RFC 3339, or \"YYYY-MM-DD HH:MM\" or \"HH:MM\" in notify.timezone")
	f.StringVar(&opts.comment, "comment", "", "why (required)")
	return cmd
}

func runSilenceAdd(ctx context.Context, opts *silenceAddOptions) error {
	req := api.SilenceAddRequest{Site: opts.site, Device: opts.device, Comment: opts.comment, CreatedBy: opts.who()}
	switch {
	case opts.device == "" && opts.site == "":
		return errors.New("give --device or --site (or both)")
	case opts.target == "" && opts.vrf != "":
		return errors.New("--vrf is the VRF of --target: give --target")
	case opts.target != "" && opts.device == "":
		return errors.New("--target needs --device")
	case (opts.forText == "") == (opts.until == ""):
		return errors.New("give one of --for and --until")
	case strings.TrimSpace(opts.comment) == "":
		return errors.New("--comment is required: say why, for the next shift")
	}
	if opts.target != "" {
		req.Target = state.LinkKey(opts.target, opts.vrf)
	}
	if opts.forText != "" {
		d, err := parseFor(opts.forText)
		if err != nil {
			return err
		}
		req.For = d
	}
	var rep api.SilenceReply
	err := withNATS(ctx, opts.config, func(ctx context.Context, cfg *config.Config, nc *nats.Conn) (err error) {
		if opts.until != "" {
			if req.Until, err = parseUntil(opts.until, opts.now(), cfg.Notify.Location); err != nil {
				return err
			}
		}
		rep, err = api.AddSilence(ctx, nc, req)
		return err
	})
	if err != nil {
		return err
	}
	s := rep.Silence
	_, err = fmt.Fprintf(opts.out, "silence %s: %s until %s\n", s.ID, silenceScope(s), timeText(s.End))
	return err
}

// parseFor reads --for: a duration (parseDuration: 90m, 2h30m, 3d). Its
// bounds are the notifier's to check; only a positive one is sent.
func parseFor(s string) (time.Duration, error) {
	d, ok := parseDuration(s)
	if !ok {
		return 0, fmt.Errorf("--for %q: want a duration (90m, 2h, 3d)", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("--for %q: must be positive", s)
	}
	return d, nil
}

// parseUntil reads --until: an RFC 3339 time, or a wall-clock time in loc
// ("2006-01-02 15:04", or "15:04" for the next time after now the clock
// of loc shows it).
func parseUntil(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, loc); err == nil {
		return t, nil
	}
	if hm, err := time.ParseInLocation("15:04", s, loc); err == nil {
		local := now.In(loc)
		t := time.Date(local.Year(), local.Month(), local.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
		if !t.After(now) {
			t = time.Date(local.Year(), local.Month(), local.Day()+1, hm.Hour(), hm.Minute(), 0, 0, loc)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--until %q: want an RFC 3339 time, or \"YYYY-MM-DD HH:MM\" or \"HH:MM\" in notify.timezone (%s)", s, loc)
}

// silenceScope words what a silence covers: "device r1", "link r1
// 10.0.0.1%MGMT", "site dc1", "device r1 at site dc1".
func silenceScope(s state.Silence) string {
	var scope string
	switch {
	case s.Target != "":
		scope = "link " + s.Device + " " + s.Target
	case s.Device != "":
		scope = "device " + s.Device
	}
	switch {
	case s.Site != "" && scope != "":
		scope += " at site " + s.Site
	case s.Site != "":
		scope = "site " + s.Site
	}
	return scope
}
