package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/app"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/proto"
	"github.com/linkwatch/linkwatch/proto/natsauth"
	"github.com/linkwatch/linkwatch/proto/secretfile"
)

type credsOptions struct {
	config string
	site   string
	role   string
	public bool
	output string
	out    io.Writer
}

func newCredsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "creds",
		Short: "Hand out the NATS keys of linkwatch's roles",
		Long: `Every client of the bus logs in with the nkey of its role: scheduler,
notifier, cli, or worker-SITE. linkwatch run creates them under
<data_dir>/auth at its first start (only its owner can read them) and its
embedded NATS server admits nobody else, each role with only the subjects
it needs. status, history and workers on the same machine find them there;
give a remote site's workers theirs with creds export.`,
	}
	cmd.AddCommand(newCredsExportCmd(), newCredsServerConfigCmd())
	return cmd
}

func newCredsExportCmd() *cobra.Command {
	opts := &credsOptions{}
	cmd := &cobra.Command{
		Use:   "export (--site SITE | --role ROLE) [--output FILE]",
		Short: "Write one role's NATS key, for a worker at a remote site",
		Long: `export writes the nkey seed of one role (a site's workers with --site)
to FILE, created with mode 0600, or to standard output, creating the keys
under <data_dir>/auth if linkwatch run has not yet. Point the remote
worker's nats.nkey_seed_file at it. With --public it prints the public key
only, which is no secret: what a standalone nats-server is told.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runCredsExport(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "")
	cmd.Flags().StringVar(&opts.site, "site", "", "the site whose workers get the key")
	cmd.Flags().StringVar(&opts.role, "role", "", "the role: scheduler, notifier, cli or worker-SITE")
	cmd.Flags().BoolVar(&opts.public, "public", false, "print the public key only")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "", "write the seed to this file (mode 0600) instead of standard output")
	cmd.MarkFlagsMutuallyExclusive("site", "role")
	cmd.MarkFlagsOneRequired("site", "role")
	return cmd
}

func runCredsExport(_ context.Context, opts *credsOptions) error {
	cfg, err := config.Load(opts.config)
	if err != nil {
		return err
	}
	role, err := credsRole(cfg, opts)
	if err != nil {
		return err
	}
	if _, err := app.BusUsers(cfg); err != nil {
		return err
	}
	keys := app.BusKeys(cfg)
	if opts.public {
		pub, err := keys.PublicKey(role)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(opts.out, pub)
		return err
	}
	seed, err := keys.Seed(role)
	if err != nil {
		return err
	}
	if opts.output == "" {
		_, err = fmt.Fprintf(opts.out, "%s\n", seed)
		return err
	}
	if err := secretfile.Create(opts.output, append(seed, '\n')); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}

// credsRole is the role --site or --role names, which must be one of the
// configuration's roles.
func credsRole(cfg *config.Config, opts *credsOptions) (proto.Role, error) {
	roles, err := app.BusRoles(cfg)
	if err != nil {
		return "", err
	}
	if opts.site != "" {
		if err := cfg.CheckSite(opts.site); err != nil {
			return "", fmt.Errorf("--site %w", err)
		}
		return proto.WorkerRole(opts.site)
	}
	role, err := proto.ParseRole(opts.role)
	if err != nil {
		return "", fmt.Errorf("--role: %w", err)
	}
	if !slices.Contains(roles, role) {
		return "", fmt.Errorf("--role %q: not a role of this configuration (%s)", opts.role, joinRoles(roles))
	}
	return role, nil
}

func joinRoles(roles []proto.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func newCredsServerConfigCmd() *cobra.Command {
	opts := &credsOptions{}
	cmd := &cobra.Command{
		Use:   "server-config",
		Short: "Print a nats-server configuration that admits linkwatch's roles",
		Long: `server-config prints a configuration for a standalone nats-server (the
hub of a multi-site deployment): JetStream, and one nkey user per role of
the configuration's sites, with the public keys from <data_dir>/auth
(created when missing) and only the subjects each role needs. It holds no
secret. deploy/nats/nats-server.conf is the same for the sites dc1 and dc2,
reading the keys from the environment.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(opts.config)
			if err != nil {
				return err
			}
			users, err := app.BusUsers(cfg)
			if err != nil {
				return err
			}
			how := "#\n# Written by `linkwatch creds server-config` for the sites " + strings.Join(cfg.Sites(), ", ") + "."
			return natsauth.WriteServerConfig(cmd.OutOrStdout(), users, false, how)
		},
	}
	addConfigFlag(cmd, &opts.config, "")
	return cmd
}
