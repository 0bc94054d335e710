package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/config"
	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
	"github.com/linkwatch/linkwatch/notifier/state"
	"github.com/linkwatch/linkwatch/worker/ping"
)

// Shell completion (cobra's `linkwatch completion bash|zsh|fish`) suggests
// the values of flags and arguments from what linkwatch knows: device and
// site names and targets from the configuration given with --config, link
// states from state.ShownStates and platforms from package ping. They are
// attached by flag name, to every command with such a flag, so a command
// gains them by naming its flags as the others do.

// completer suggests values for a flag or an argument; args are the
// command's arguments before the one being completed.
type completer func(cmd *cobra.Command, args []string) []string

// flagCompleters are the flags whose values are suggested, by name.
var flagCompleters = map[string]completer{
	"device":   deviceNames,
	"site":     siteNames,
	"sites":    siteNames,
	"leaf":     siteNames,
	"leaves":   siteNames,
	"target":   targetsOfDevice,
	"state":    func(*cobra.Command, []string) []string { return state.ShownStates },
	"platform": func(*cobra.Command, []string) []string { return ping.Names() },
	"color": func(*cobra.Command, []string) []string {
		return []string{string(termstyle.Auto), string(termstyle.Always), string(termstyle.Never)}
	},
	"sort": func(*cobra.Command, []string) []string { return statusSorts },
}

// argCompleters are the positional arguments suggested, by command path
// and position.
var argCompleters = map[string][]completer{
	"linkwatch history":         {deviceNames, targetsOfDevice},
	"linkwatch hostkeys forget": {siteNames, deviceNames},
}

// addCompletions attaches the completers to root and every command below
// it.
func addCompletions(c *cobra.Command) {
	c.Flags().VisitAll(func(f *pflag.Flag) {
		switch fn, ok := flagCompleters[f.Name]; {
		case f.Name == "config":
			_ = c.MarkFlagFilename("config", "yaml", "yml")
		case ok:
			_ = c.RegisterFlagCompletionFunc(f.Name, complete(fn, f.Value.Type() == "stringSlice"))
		}
	})
	if fns, ok := argCompleters[c.CommandPath()]; ok && c.ValidArgsFunction == nil {
		c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) >= len(fns) {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return complete(fns[len(args)], false)(cmd, args, toComplete)
		}
	}
	for _, sub := range c.Commands() {
		addCompletions(sub)
	}
}

// complete makes a cobra completion function of fn: the suggestions that
// start with what is typed, never file names. For a list flag (list) the
// items typed before the last comma are kept and not suggested again.
func complete(fn completer, list bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var done []string
		prefix := ""
		if i := strings.LastIndexByte(toComplete, ','); list && i >= 0 {
			prefix, toComplete = toComplete[:i+1], toComplete[i+1:]
			done = strings.Split(prefix[:i], ",")
		}
		var out []string
		for _, s := range fn(cmd, args) {
			name, _, _ := strings.Cut(s, "\t")
			if strings.HasPrefix(name, toComplete) && !slices.Contains(done, name) {
				out = append(out, prefix+s)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completionConfig loads the configuration of --config, or nil when it
// cannot be read: completion then suggests nothing rather than fail.
func completionConfig(cmd *cobra.Command) *config.Config {
	path := defaultConfig
	if f := cmd.Flags().Lookup("config"); f != nil {
		path = f.Value.String()
	}
	cfg, err := config.Load(path)
	if err != nil {
		cobra.CompDebugln(fmt.Sprintf("load %s: %v", path, err), true)
		return nil
	}
	return cfg
}

// deviceNames are the devices, with their site, platform and host as the
// description; after a site argument (hostkeys forget SITE DEVICE), those
// of that site.
func deviceNames(cmd *cobra.Command, args []string) []string {
	cfg := completionConfig(cmd)
	if cfg == nil {
		return nil
	}
	site, _ := cmd.Flags().GetString("site")
	if len(args) > 0 && cmd.CommandPath() == "linkwatch hostkeys forget" {
		site = args[0]
	}
	var out []string
	for _, d := range cfg.Devices {
		if site == "" || d.Site == site {
			out = append(out, fmt.Sprintf("%s\t%s %s %s", d.Name, d.Site, d.Platform, d.Host))
		}
	}
	return out
}

// siteNames are the sites, with their number of devices.
func siteNames(cmd *cobra.Command, _ []string) []string {
	cfg := completionConfig(cmd)
	if cfg == nil {
		return nil
	}
	var out []string
	for _, s := range cfg.Sites() {
		out = append(out, fmt.Sprintf("%s\t%d devices", s, len(cfg.DevicesAt(s))))
	}
	return out
}

// targetsOfDevice are the targets of the device named by --device or by
// the first argument (history DEVICE TARGET).
func targetsOfDevice(cmd *cobra.Command, args []string) []string {
	device, _ := cmd.Flags().GetString("device")
	if len(args) > 0 {
		device = args[0]
	}
	cfg := completionConfig(cmd)
	if cfg == nil || device == "" {
		return nil
	}
	var out []string
	for _, d := range cfg.Devices {
		if d.Name != device {
			continue
		}
		for _, t := range d.Targets {
			if t.VRF != "" {
				out = append(out, t.Address+"\tvrf "+t.VRF)
			} else {
				out = append(out, t.Address)
			}
		}
	}
	return out
}
