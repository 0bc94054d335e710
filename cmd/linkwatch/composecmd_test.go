package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/worker/sim"
)

// composeChecker gathers the problems of one loaded compose project.
type composeChecker struct {
	d         *composeDeployment
	project   *types.Project
	linkwatch []*linkwatchService // the services running the linkwatch image, in name order
	problems  []string
	seen      map[string]bool // problems already reported
}

// linkwatchService is a service of the compose file that runs the
// linkwatch image, with what its command reads.
type linkwatchService struct {
	name  string
	spec  types.ServiceConfig
	cmd   *cobra.Command // the subcommand it runs, flags parsed; nil when its command is wrong
	cfg   *config.Config // what --config names; nil without one, or when it does not load
	fleet *sim.Fleet     // what --fleet names
}

// addf reports a problem of a service, once.
func (c *composeChecker) addf(service, format string, args ...any) {
	p := fmt.Sprintf("%s: service %q: %s", composeFile, service, fmt.Sprintf(format, args...))
	if !c.seen[p] {
		c.seen[p] = true
		c.problems = append(c.problems, p)
	}
}

// services checks the command of every service running the linkwatch
// image, in name order. Which image that is comes from .env.example
// (LINKWATCH_IMAGE), as the file's ${LINKWATCH_IMAGE:-...} does.
func (c *composeChecker) services() {
	image := c.d.env["LINKWATCH_IMAGE"]
	if image == "" {
		c.problems = append(c.problems, ".env.example: LINKWATCH_IMAGE is not set")
		return
	}
	for _, name := range c.project.ServiceNames() {
		if spec := c.project.Services[name]; spec.Image == image {
			c.linkwatch = append(c.linkwatch, c.parseService(name, spec))
		}
	}
	if len(c.linkwatch) == 0 {
		c.problems = append(c.problems, fmt.Sprintf("%s: no service runs the linkwatch image %s", composeFile, image))
	}
}

// parseService parses a service's command, as the image runs it, with
// linkwatch's own root command, reads the files its flags name through the
// service's bind mounts with linkwatch's own parsers, and checks its
// health check.
func (c *composeChecker) parseService(name string, spec types.ServiceConfig) *linkwatchService {
	s := &linkwatchService{name: name, spec: spec}
	argv := slices.Concat(c.d.image.entrypoint, spec.Command)
	if len(spec.Entrypoint) > 0 {
		argv = slices.Concat(spec.Entrypoint, spec.Command)
	}
	cmd, err := c.parse(argv)
	if err != nil {
		c.addf(name, "command %q: %v", argv, err)
		return s
	}
	s.cmd = cmd
	if path, ok := c.mounted(s, "config"); ok {
		if s.cfg, err = config.Load(path); err != nil {
			c.addf(name, "--config %s (%s): %v", flagValue(cmd, "config"), c.rel(path), err)
		}
	}
	if path, ok := c.mounted(s, "fleet"); ok {
		if s.fleet, err = sim.LoadFleet(path); err != nil {
			c.addf(name, "--fleet %s (%s): %v", flagValue(cmd, "fleet"), c.rel(path), err)
		}
	}
	c.flagValues(s)
	c.healthcheck(s)
	return s
}

// parse parses the arguments of a container of the linkwatch image, argv
// being what the container runs: the image's binary and its arguments.
func (c *composeChecker) parse(argv []string) (*cobra.Command, error) {
	if bin := c.d.image.entrypoint[0]; len(argv) == 0 || argv[0] != bin {
		return nil, fmt.Errorf("does not run the image's %s", bin)
	}
	return parseLinkwatch(argv[1:])
}

// parseLinkwatch parses args as the linkwatch binary does, with its own
// root command, up to where the command would start: the subcommand found,
// its flags parsed by its own flag set, its arguments and required flags
// checked. Nothing runs: every command's RunE is replaced by one that
// records which command it is (cli/cli's runF, from the outside).
func parseLinkwatch(args []string) (*cobra.Command, error) {
	root := newRootCmd()
	var ran *cobra.Command
	stubRun(root, func(c *cobra.Command) { ran = c })
	root.SetArgs(args)
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	if _, err := root.ExecuteC(); err != nil {
		return nil, err
	}
	if ran == nil {
		return nil, errors.New("runs no command, only prints help")
	}
	return ran, nil
}

// stubRun replaces what c and its subcommands run with ran.
func stubRun(c *cobra.Command, ran func(*cobra.Command)) {
	if c.Runnable() {
		c.Run = nil
		c.RunE = func(cmd *cobra.Command, _ []string) error {
			ran(cmd)
			return nil
		}
	}
	for _, sub := range c.Commands() {
		stubRun(sub, ran)
	}
}

// flagValue is the value of a command's flag, "" when it has no such flag.
func flagValue(cmd *cobra.Command, name string) string {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// mounted returns the repository file that a service's flag (a file in
// the container, relative to its working directory) comes from, through
// the service's bind mounts. It reports false when the command has no such
// flag, and a problem when the file comes from no bind mount, from one
// that is writable or from outside the repository.
func (c *composeChecker) mounted(s *linkwatchService, flag string) (string, bool) {
	if s.cmd.Flags().Lookup(flag) == nil {
		return "", false
	}
	file := flagValue(s.cmd, flag)
	if !path.IsAbs(file) {
		file = path.Join(cmp.Or(s.spec.WorkingDir, c.d.image.workdir), file)
	}
	var from *types.ServiceVolumeConfig
	for i, v := range s.spec.Volumes {
		inside := v.Target == file || strings.HasPrefix(file, strings.TrimSuffix(v.Target, "/")+"/")
		if v.Type == types.VolumeTypeBind && inside && (from == nil || len(v.Target) > len(from.Target)) {
			from = &s.spec.Volumes[i] // the deepest mount holding the file is the one it is read from
		}
	}
	switch {
	case from == nil:
		c.addf(s.name, "--%s %s: no bind mount of the service holds it", flag, file)
		return "", false
	case !from.ReadOnly:
		c.addf(s.name, "--%s %s: mounted writable (%s), want :ro", flag, file, from.Target)
	}
	host := filepath.Join(from.Source, filepath.FromSlash(strings.TrimPrefix(file, from.Target)))
	if rel := c.rel(host); !filepath.IsLocal(rel) {
		c.addf(s.name, "--%s %s: mounted from %s, outside the repository", flag, file, host)
		return "", false
	}
	return host, true
}

// rel is a host path relative to the repository.
func (c *composeChecker) rel(host string) string {
	rel, err := filepath.Rel(c.d.root, host)
	if err != nil {
		return host
	}
	return filepath.ToSlash(rel)
}

// flagValues checks the flags whose values a command checks when it
// starts, as it does: the flag parser takes any string for them.
func (c *composeChecker) flagValues(s *linkwatchService) {
	var level slog.Level
	if v := flagValue(s.cmd, "log-level"); v != "" && level.UnmarshalText([]byte(v)) != nil {
		c.addf(s.name, "--log-level %q: not debug, info, warn or error", v)
	}
	if v := flagValue(s.cmd, "listen-host"); v != "" && net.ParseIP(v) == nil {
		c.addf(s.name, "--listen-host %q: not an IP address", v)
	}
	if v := flagValue(s.cmd, "site"); v != "" && s.cfg != nil {
		if err := s.cfg.CheckSite(v); err != nil {
			c.addf(s.name, "--site %v", err)
		}
	}
}

// healthcheck checks the health check of a service: run with the image's
// binary (no shell: CMD, not CMD-SHELL), parsed as linkwatch healthcheck,
// and asking the port the service serves /readyz on (--metrics-listen).
// No healthcheck key means the image's HEALTHCHECK.
func (c *composeChecker) healthcheck(s *linkwatchService) {
	test := c.d.image.healthcheck
	switch hc := s.spec.HealthCheck; {
	case hc != nil && hc.Disable:
		return
	case hc != nil && len(hc.Test) > 0:
		test = hc.Test
	}
	if len(test) == 0 || slices.Equal(test, []string{"NONE"}) {
		return // none
	}
	if test[0] != "CMD" {
		c.addf(s.name, "healthcheck %q: not a CMD test (the image has no shell)", test)
		return
	}
	cmd, err := c.parse(test[1:])
	if err == nil && cmd.Name() != "healthcheck" {
		err = errors.New("not linkwatch healthcheck")
	}
	if err != nil {
		c.addf(s.name, "healthcheck %q: %v", test[1:], err)
		return
	}
	u, err := url.Parse(flagValue(cmd, "url"))
	if err != nil {
		c.addf(s.name, "healthcheck --url: %v", err)
		return
	}
	listen := flagValue(s.cmd, "metrics-listen")
	if _, port, _ := net.SplitHostPort(listen); port != u.Port() {
		c.addf(s.name, "healthcheck asks port %s, the service serves metrics on %q (--metrics-listen)", u.Port(), listen)
	}
}

// imageSpec is what deploy/Dockerfile gives every container of the
// linkwatch image.
type imageSpec struct {
	entrypoint  []string // ENTRYPOINT, exec form: the binary
	workdir     string   // WORKDIR
	healthcheck []string // HEALTHCHECK's test: "CMD" and the command
}

// readImageSpec reads the ENTRYPOINT, WORKDIR and HEALTHCHECK of a
// Dockerfile, each in the exec (JSON) form where it has one.
func readImageSpec(file string) (imageSpec, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return imageSpec{}, err
	}
	var spec imageSpec
	text := strings.ReplaceAll(string(data), "\\\n", " ") // continuation lines
	for line := range strings.Lines(text) {
		instr, args, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch instr {
		case "ENTRYPOINT":
			err = json.Unmarshal([]byte(args), &spec.entrypoint)
		case "WORKDIR":
			spec.workdir = strings.TrimSpace(args)
		case "HEALTHCHECK":
			spec.healthcheck, err = healthcheckTest(args)
		}
		if err != nil {
			return imageSpec{}, fmt.Errorf("%s: %s: not the exec form: %v", file, instr, err)
		}
	}
	if len(spec.entrypoint) == 0 {
		return imageSpec{}, fmt.Errorf("%s: no ENTRYPOINT", file)
	}
	return spec, nil
}

// healthcheckTest is the test of a HEALTHCHECK instruction with its
// arguments: ["NONE"], or "CMD" and the command of its exec form.
func healthcheckTest(args string) ([]string, error) {
	if strings.TrimSpace(args) == "NONE" {
		return []string{"NONE"}, nil
	}
	_, cmd, ok := strings.Cut(args, " CMD ")
	if !ok {
		return nil, errors.New("no CMD")
	}
	var test []string
	err := json.Unmarshal([]byte(cmd), &test)
	return slices.Insert(test, 0, "CMD"), err
}
