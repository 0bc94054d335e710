package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are stamped at build time (make build, make image):
//
//	-ldflags "-X main.version=$(git describe --tags --always --dirty) -X main.commit=…"
//
// A build that does not stamp them takes both from the binary's build
// information (the module version, and vcs.revision with -buildvcs).
var (
	version = ""
	commit  = ""
)

// shortRevision is how many hex digits of the VCS revision are shown, as
// in Go's pseudo-versions.
const shortRevision = 12

// buildVersion is what `linkwatch version` prints.
type buildVersion struct {
	Version, Commit, Go string
}

func (b buildVersion) String() string {
	return fmt.Sprintf("linkwatch %s (commit %s, %s)", b.Version, b.Commit, b.Go)
}

// readVersion combines the stamped version and commit with the build
// information bi (nil when the binary has none): a stamped value wins;
// otherwise the version is the main module's and the commit vcs.revision,
// shortened, with "-dirty" when vcs.modified. What nothing tells is "dev"
// and "unknown".
func readVersion(bi *debug.BuildInfo, stampedVersion, stampedCommit string) buildVersion {
	b := buildVersion{Version: stampedVersion, Commit: stampedCommit, Go: runtime.Version()}
	if bi != nil {
		b.Go = bi.GoVersion
		if b.Version == "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		if b.Commit == "" {
			b.Commit = vcsCommit(bi.Settings)
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// vcsCommit is the short revision of the build settings, "-dirty" when
// the working tree was modified, or "" when the build recorded none.
func vcsCommit(settings []debug.BuildSetting) string {
	var rev, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
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
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintln(cmd.OutOrStdout(), readVersion(bi, version, commit))
			return err
		},
	}
}
