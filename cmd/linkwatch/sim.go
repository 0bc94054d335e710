package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/worker/sim"
)

// simOptions are the flags of `linkwatch sim`.
type simOptions struct {
	fleet  string
	log    *slog.Logger
	host   string
	out    io.Writer
	errOut io.Writer
	// reload delivers reload requests; nil means SIGHUP.
	reload <-chan os.Signal
}

func newSimCmd() *cobra.Command {
	opts := &simOptions{}
	c := &cobra.Command{
		Use:   "sim --fleet FILE",
		Short: "Serve simulated routers over SSH on 127.0.0.1 (reload the fleet file on SIGHUP)",
		Long: `sim serves every device of a fleet file on 127.0.0.1 (--listen-host), each on its own port,
speaking its platform's CLI (cisco_iosxe, cisco_iosxr, cisco_nxos, arista_eos,
juniper_junos), and every bastion of the file, an SSH jump host that forwards
only to those devices. A ping's outcome per target comes from the file. On SIGHUP the
file is read again and the behaviours change without dropping listeners or
open sessions; a bad file is logged and the old behaviours stay.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out, opts.errOut = cmd.OutOrStdout(), cmd.ErrOrStderr()
			opts.log = commandLogger(cmd, slog.LevelDebug)
			return runSim(cmd.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.fleet, "fleet", "", "fleet file (YAML) describing the devices")
	c.Flags().StringVar(&opts.host, "listen-host", "127.0.0.1", "the address the devices listen on (0.0.0.0 in a container, for the workers on its network)")
	_ = c.MarkFlagRequired("fleet")
	return c
}

// runSim serves the fleet until ctx is done.
func runSim(ctx context.Context, opts *simOptions) error {
	log := opts.log
	fleet, err := sim.LoadFleet(opts.fleet)
	if err != nil {
		return err
	}
	if net.ParseIP(opts.host) == nil {
		return fmt.Errorf("--listen-host %q: not an IP address", opts.host)
	}
	fleet.Host = opts.host
	reload := opts.reload
	if reload == nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		reload = hup
	}
	srv, err := sim.Start(ctx, fleet, log)
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	defer srv.Close()
	printFleet(opts.out, srv, fleet)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
			fleet = reloadFleet(srv, opts, fleet, log)
		}
	}
}

// reloadFleet reads the fleet file again and applies it; on any error the
// running fleet stays as it was.
func reloadFleet(srv *sim.Server, opts *simOptions, cur *sim.Fleet, log *slog.Logger) *sim.Fleet {
	next, err := sim.LoadFleet(opts.fleet)
	if err == nil {
		err = srv.Reload(next)
	}
	if err != nil {
		log.Error("reload fleet: keeping the previous behaviours", "file", opts.fleet, "err", err)
		return cur
	}
	printFleet(opts.out, srv, next)
	return next
}

// printFleet prints one line per device (name, platform, address), then
// one per bastion (name, "bastion", address).
func printFleet(w io.Writer, srv *sim.Server, f *sim.Fleet) {
	for _, d := range f.Devices {
		addr, _ := srv.Addr(d.Name)
		fmt.Fprintf(w, "%s %s %s\n", d.Name, d.Platform, addr)
	}
	for _, b := range f.Bastions {
		addr, _ := srv.Addr(b.Name)
		fmt.Fprintf(w, "%s bastion %s\n", b.Name, addr)
	}
}
