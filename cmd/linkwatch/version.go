package main

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version, commit and buildDate are stamped at build time (make build,
// make image):
//
//	-ldflags "-X main.version=$(git describe --tags --always --dirty) -X main.commit=… -X main.buildDate=2026-11-29T08:00:00Z"
//
// A build that does not stamp them takes them from the binary's build
// information: the module version, and with -buildvcs vcs.revision and,
// for the date, vcs.time (the commit's time).
var (
	version   = ""
	commit    = ""
	buildDate = ""
)

// shortRevision is how many hex digits of the VCS revision are shown, as
// in Go's pseudo-versions.
const shortRevision = 12

// buildVersion is what `linkwatch version` prints; its JSON form
// (--output json) is a contract.
type buildVersion struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"build_date"` // RFC 3339, or "unknown"
	Go      string `json:"go"`
}

func (b buildVersion) String() string {
	return fmt.Sprintf("linkwatch %s (commit %s, built %s, %s)", b.Version, b.Commit, b.Date, b.Go)
}

// readVersion combines the stamped values (stamp.Go is ignored) with the
// build information bi (nil when the binary has none): a stamped value
// wins; otherwise the version is the main module's, the commit
// vcs.revision, shortened, with "-dirty" when vcs.modified, and the date
// vcs.time. What nothing tells is "dev" and "unknown".
func readVersion(bi *debug.BuildInfo, stamp buildVersion) buildVersion {
	b := stamp
	b.Go = runtime.Version()
	if bi != nil {
		b.Go = bi.GoVersion
		if b.Version == "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		if b.Commit == "" {
			b.Commit = vcsCommit(bi.Settings)
		}
		if b.Date == "" {
			b.Date = vcsSetting(bi.Settings, "vcs.time")
		}
	}
	b.Version = cmp.Or(b.Version, "dev")
	b.Commit = cmp.Or(b.Commit, "unknown")
	b.Date = cmp.Or(b.Date, "unknown")
	return b
}

// vcsSetting is the value of the build setting key, or "".
func vcsSetting(settings []debug.BuildSetting, key string) string {
	for _, s := range settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// vcsCommit is the short revision of the build settings, "-dirty" when
// the working tree was modified, or "" when the build recorded none.
func vcsCommit(settings []debug.BuildSetting) string {
	rev, modified := vcsSetting(settings, "vcs.revision"), vcsSetting(settings, "vcs.modified")
	if rev == "" {
		return ""
	}
	rev = rev[:min(len(rev), shortRevision)]
	if modified == "true" {
		rev += "-dirty"
	}
	return rev
}

func newVersionCmd() *cobra.Command {
	var output outputFormat
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit, the build date and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			v := readVersion(bi, buildVersion{Version: version, Commit: commit, Date: buildDate})
			if output == outputJSON {
				return writeJSONLines(cmd.OutOrStdout(), []buildVersion{v}, "version")
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), v)
			return err
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}
