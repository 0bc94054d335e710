package main

import (
	"cmp"
	"context"
	"errors"
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
	// server-config: a hub whose leaves join through leaf nodes, or the
	// leaf node of site leaf dialing hub, in the JetStream domain.
	domain string
	leaves []string
	leaf   string
	hub    string
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
worker's nats.nkey_seed_file at it. The key of a site's leaf node (--role
leaf-SITE) goes to the leaf's nats-server, in the environment variable its
configuration names (creds server-config --leaf SITE). With --public it
prints the public key only, which is no secret: what a standalone
nats-server is told.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runCredsExport(cmd.Context(), opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "")
	cmd.Flags().StringVar(&opts.site, "site", "", "the site whose workers get the key")
	cmd.Flags().StringVar(&opts.role, "role", "", "the role: scheduler, notifier, cli, worker-SITE or leaf-SITE")
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
	if site, ok := role.Leaf(); ok {
		if _, err := app.LeafUsers(cfg, []string{site}); err != nil {
			return "", fmt.Errorf("--role %q: %w", opts.role, err)
		}
		return role, nil
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
		Use:   "server-config [--leaves SITES | --leaf SITE [--hub URL]] [--domain D]",
		Short: "Print a nats-server configuration that admits linkwatch's roles",
		Long: `server-config prints a configuration for a standalone nats-server (the
hub of a multi-site deployment): JetStream, and one nkey user per role of
the configuration's sites, with the public keys from <data_dir>/auth
(created when missing) and only the subjects each role needs. It holds no
secret. deploy/nats/nats-server.conf is the same for the sites dc1 and dc2,
reading the keys from the environment.

With --leaves, the hub also serves the leaf nodes of those sites (remote
sites behind a VPN or a firewall): its streams in the JetStream domain
--domain, a leafnode port, and each leaf node's key in an account of its
own that sees only its site's workers' subjects. With --leaf, it prints
the configuration of that site's leaf node instead: no JetStream, the
site's workers admitted with their permissions in the domain, dialing out
to the hub at --hub; its own seed is read from the environment
(linkwatch creds export --role leaf-SITE). See docs/deploy-leaf.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.out = cmd.OutOrStdout()
			return runCredsServerConfig(opts)
		},
	}
	addConfigFlag(cmd, &opts.config, "")
	cmd.Flags().StringSliceVar(&opts.leaves, "leaves", nil, "sites that join the hub through a leaf node")
	cmd.Flags().StringVar(&opts.leaf, "leaf", "", "print the configuration of this site's leaf node")
	cmd.Flags().StringVar(&opts.hub, "hub", "", "with --leaf: the hub's leafnode URL, nats-leaf://HOST:7422 (default: read from $"+natsauth.HubURLEnv+")")
	cmd.Flags().StringVar(&opts.domain, "domain", "", "the hub's JetStream domain (default: nats.jetstream_domain, else "+defaultDomain+")")
	cmd.MarkFlagsMutuallyExclusive("leaves", "leaf")
	return cmd
}

// defaultDomain is the hub's JetStream domain when neither --domain nor
// nats.jetstream_domain names one.
const defaultDomain = "hub"

func runCredsServerConfig(opts *credsOptions) error {
	cfg, err := config.Load(opts.config)
	if err != nil {
		return err
	}
	if opts.hub != "" && opts.leaf == "" {
		return errors.New("--hub: only with --leaf, the leaf node that dials the hub")
	}
	domain := cmp.Or(opts.domain, cfg.NATS.JetStreamDomain, defaultDomain)
	if opts.leaf != "" {
		return writeLeafConfig(cfg, opts, domain)
	}
	users, err := app.BusUsers(cfg)
	if err != nil {
		return err
	}
	how := "#\n# Written by `linkwatch creds server-config` for the sites " + strings.Join(cfg.Sites(), ", ")
	if len(opts.leaves) == 0 {
		return natsauth.WriteServerConfig(opts.out, users, false, how+".")
	}
	leaves, err := app.LeafUsers(cfg, opts.leaves)
	if err != nil {
		return fmt.Errorf("--leaves: %w", err)
	}
	how += ",\n# " + strings.Join(opts.leaves, ", ") + " through leaf nodes."
	return natsauth.WriteHubConfig(opts.out, append(users, leaves...), domain, false, how)
}

// writeLeafConfig prints the configuration of the leaf node of opts.leaf.
func writeLeafConfig(cfg *config.Config, opts *credsOptions, domain string) error {
	leafRole, err := app.LeafRole(cfg, opts.leaf)
	if err != nil {
		return fmt.Errorf("--leaf: %w", err)
	}
	worker, err := proto.WorkerRole(opts.leaf)
	if err != nil {
		return fmt.Errorf("--leaf: %w", err)
	}
	if _, err := app.BusUsers(cfg); err != nil {
		return err
	}
	pub, err := app.BusKeys(cfg).PublicKey(worker)
	if err != nil {
		return err
	}
	how := fmt.Sprintf("#\n# Written by `linkwatch creds server-config --leaf %s`. Start it with the leaf\n"+
		"# node's seed in %s, from linkwatch creds export --role %s.",
		opts.leaf, natsauth.SeedEnvVar(leafRole), leafRole)
	leaf := natsauth.Leaf{Worker: natsauth.User{Role: worker, Nkey: pub}, Domain: domain, Hub: opts.hub}
	if err := natsauth.WriteLeafConfig(opts.out, leaf, false, how); err != nil {
		return fmt.Errorf("--leaf: %w", err)
	}
	return nil
}
