// Command linkwatch watches network links from the routers themselves: it
// pings each link's far end from the router's CLI and emails the NOC when a
// link changes state.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "linkwatch:", err)
		os.Exit(exitCode(ctx))
	}
}

// exitInterrupted is the status of a command a signal cut short, as a
// shell reports one stopped by SIGINT: a script can tell "interrupted"
// from "failed" (1).
const exitInterrupted = 130

// exitCode is the status of a command that failed: exitInterrupted when
// ctx, ended by SIGINT or SIGTERM, is why.
func exitCode(ctx context.Context) int {
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return 1
}
