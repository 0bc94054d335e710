package main

import (
	"os"
	"os/user"

	"github.com/spf13/cobra"
)

func newSilenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "silence",
		Short: "Hold back the alerts of a site, device or link for a while",
		Long: `A silence holds back the emails about a site, a device or one of its links
for a while (planned maintenance); their changes still go to the history. When
a silence ends, each link whose state differs from the one last emailed is
reported once. The running notifier keeps the silences in the state store.

  add     silences a device (--device), one of its links (--target too) or a
          whole site (--site), for a duration or until a time, with a comment
  list    shows the silences in force, to come and ended in the last 7 days,
          and the maintenance windows of the configuration in force
  expire  ends a silence now`,
	}
	cmd.AddCommand(newSilenceAddCmd(), newSilenceListCmd(), newSilenceExpireCmd())
	return cmd
}

// whoAmI names the operator as a silence records it: user@host of the
// machine the CLI runs on.
func whoAmI() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}
