package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"golang.org/x/sync/errgroup"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/worker"
)

type hostkeysOptions struct {
	config string
	site   string
	file   string // scan: write here instead of standard output
	output outputFormat
	out    io.Writer
}

func newHostkeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hostkeys",
		Short: "Collect, list and forget device host keys",
		Long: `Device host keys are checked before any password is sent, in one of three
modes (worker.host_keys): tofu, the default, pins the key a device presents at
first contact, shared by all workers of its site, and refuses any other after
that; known_hosts accepts only the keys an OpenSSH known_hosts file lists;
insecure checks nothing.

  scan    reads every device's host keys (no login) into known_hosts lines, for
          review before they become worker.known_hosts; a device behind a jump
          host is read through it, logging in to the jump host (never to the
          device), whose own keys are read first
  list    shows the keys pinned on the bus (tofu)
  forget  removes one device's pin after a legitimate key change; its next
          probe pins the key it then presents`,
	}
	cmd.AddCommand(newHostkeysScanCmd(), newHostkeysListCmd(), newHostkeysForgetCmd())
	return cmd
}

func newHostkeysScanCmd() *cobra.Command {
	opts := &hostkeysOptions{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Read the devices' host keys into known_hosts lines (no login)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runHostkeysScan(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the devices")
	cmd.Flags().StringVar(&opts.site, "site", "", "only the devices of this site")
	cmd.Flags().StringVar(&opts.file, "file", "", "write the known_hosts lines to this file (created, never overwritten) instead of standard output")
	return cmd
}

func newHostkeysListCmd() *cobra.Command {
	opts := &hostkeysOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the host keys pinned on first contact",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runHostkeysList(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "the devices and the NATS address")
	cmd.Flags().StringVar(&opts.site, "site", "", "only the devices of this site")
	addOutputFlag(cmd, &opts.output)
	return cmd
}

func newHostkeysForgetCmd() *cobra.Command {
	opts := &hostkeysOptions{}
	cmd := &cobra.Command{
		Use:   "forget SITE DEVICE",
		Short: "Forget a device's pinned host key after a legitimate change",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.out = cmd.OutOrStdout()
			return runHostkeysForget(cmd.Context(), opts, args[0], args[1])
		},
	}
	addConfigFlag(cmd, &opts.config, "the NATS address")
	return cmd
}

// scanTimeout bounds each handshake of a scan.
const scanTimeout = 10 * time.Second

func runHostkeysScan(ctx context.Context, opts *hostkeysOptions) error {
	cfg, err := config.Load(opts.config)
	if err != nil {
		return err
	}
	devices, err := hostkeysDevices(cfg, opts.site)
	if err != nil {
		return err
	}
	out := opts.out
	if opts.file != "" {
		f, err := os.OpenFile(opts.file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		out = f
	}
	// Scanned worker.concurrency at a time, written in order: the jump
	// hosts, then the devices in the file's order.
	targets := scanTargets(cfg, devices)
	found := make([][]ssh.PublicKey, len(targets))
	var g errgroup.Group
	g.SetLimit(cfg.Worker.Concurrency)
	var failed atomic.Int64
	for i, s := range targets {
		g.Go(func() error {
			keys, err := s.scan(ctx)
			if err != nil {
				failed.Add(1)
				slog.Error("scan host keys", "host", s.title, "err", err)
			}
			found[i] = keys
			return nil
		})
	}
	_ = g.Wait()
	for i, s := range targets {
		if len(found[i]) == 0 {
			continue
		}
		fmt.Fprintf(out, "# %s\n", s.title)
		addr := knownhosts.Normalize(net.JoinHostPort(s.dev.Host, strconv.Itoa(s.dev.Port)))
		for _, k := range found[i] {
			fmt.Fprintf(out, "%s\n", knownhosts.Line([]string{addr}, k))
		}
	}
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d hosts could not be scanned", n, len(targets))
	}
	return nil
}

// hostkeysDevices are the configured devices, of site when given.
func hostkeysDevices(cfg *config.Config, site string) ([]config.Device, error) {
	if site == "" {
		return cfg.Devices, nil
	}
	if err := cfg.CheckSite(site); err != nil {
		return nil, fmt.Errorf("--site %w", err)
	}
	return cfg.DevicesAt(site), nil
}

// hostkeyRow is one device, or jump host, in list output; its JSON form
// is a contract.
type hostkeyRow struct {
	Site        string `json:"site"`
	Device      string `json:"device"`
	JumpHost    bool   `json:"jump_host,omitempty"` // Device names a jump host in front of devices of Site
	Type        string `json:"type,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Address     string `json:"address,omitempty"`
	PinnedAt    string `json:"pinned_at,omitempty"`
	Worker      string `json:"worker,omitempty"`
}

func runHostkeysList(ctx context.Context, opts *hostkeysOptions) error {
	var rows []hostkeyRow
	err := withNATS(ctx, opts.config, func(ctx context.Context, cfg *config.Config, nc *nats.Conn) error {
		devices, err := hostkeysDevices(cfg, opts.site)
		if err != nil {
			return err
		}
		pins, err := busPins(cfg, nc)
		if err != nil {
			return err
		}
		for _, h := range pinnedHosts(devices) {
			p, err := pins.Pinned(ctx, h.Site, h.Device)
			if err != nil {
				return fmt.Errorf("%s: %w", h.name(), err)
			}
			r := h
			if p != nil {
				r.Type, r.Fingerprint, r.Address = p.Key.Type(), ssh.FingerprintSHA256(p.Key), p.Address
				r.PinnedAt, r.Worker = p.PinnedAt.UTC().Format(time.RFC3339), p.Worker
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if opts.output == outputJSON {
		return writeJSONLines(opts.out, rows, "host keys")
	}
	tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tDEVICE\tTYPE\tFINGERPRINT\tPINNED AT\tBY")
	for _, r := range rows {
		name := r.Device
		if r.JumpHost {
			name += " (jump host)"
		}
		if r.Type == "" {
			fmt.Fprintf(tw, "%s\t%s\t-\tnot pinned yet\t-\t-\n", r.Site, name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Site, name, r.Type, r.Fingerprint, r.PinnedAt, oneLine(r.Worker))
	}
	return tw.Flush()
}

func runHostkeysForget(ctx context.Context, opts *hostkeysOptions, site, device string) error {
	if _, err := proto.HostKeyKey(site, device); err != nil {
		return err
	}
	return withNATS(ctx, opts.config, func(ctx context.Context, cfg *config.Config, nc *nats.Conn) error {
		pins, err := busPins(cfg, nc)
		if err != nil {
			return err
		}
		had, err := pins.Forget(ctx, site, device)
		if err != nil {
			return err
		}
		if !had {
			return fmt.Errorf("device %s of site %s has no pinned host key", device, site)
		}
		fmt.Fprintf(opts.out, "forgot the host key of %s (site %s): its next probe pins the key it presents\n", device, site)
		return nil
	})
}

func busPins(cfg *config.Config, nc *nats.Conn) (*worker.KVPins, error) {
	js, err := app.JetStream(cfg, nc)
	if err != nil {
		return nil, err
	}
	return worker.NewKVPins(js), nil
}
