package main

import "github.com/spf13/cobra"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "linkwatch",
		Short:         "Watch network links from the routers themselves",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagError)
	addLogFlags(root)
	root.AddCommand(newVersionCmd())
	root.AddCommand(newCheckCmd())
	root.AddCommand(newRunCmd())
	root.AddCommand(newSchedulerCmd())
	root.AddCommand(newWorkerCmd())
	root.AddCommand(newNotifierCmd())
	root.AddCommand(newStatusCmd())
	root.AddCommand(newHistoryCmd())
	root.AddCommand(newTailCmd())
	root.AddCommand(newSilenceCmd())
	root.AddCommand(newSimCmd())
	root.AddCommand(newBenchCmd())
	root.AddCommand(newParseCmd())
	root.AddCommand(newValidateCmd())
	root.AddCommand(newCredsCmd())
	root.AddCommand(newHostkeysCmd())
	root.AddCommand(newHealthcheckCmd())
	addCompletions(root)
	return root
}
