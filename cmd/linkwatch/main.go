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
		os.Exit(1)
	}
}
