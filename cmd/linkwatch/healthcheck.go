package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/notifier/store"
)

// defaultHealthURL is the readiness of a service started with
// --metrics-listen 0.0.0.0:9090, as the container image documents.
const defaultHealthURL = "http://127.0.0.1:9090/readyz"

type healthcheckOptions struct {
	url     string
	timeout time.Duration
}

func newHealthcheckCmd() *cobra.Command {
	opts := &healthcheckOptions{}
	cmd := &cobra.Command{
		Use:   "healthcheck [--url URL]",
		Short: "Exit 0 when a running service answers its readiness URL with 200, 1 otherwise",
		Long: `healthcheck asks a running service's readiness endpoint, which run, scheduler,
worker and notifier serve beside /metrics with --metrics-listen, and exits 0
when it answers 200, or 1 saying why (the failing checks, a refused
connection, a timeout). The container image's HEALTHCHECK runs it: there is
no shell or curl in the image.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHealthcheck(cmd.Context(), opts, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&opts.url, "url", defaultHealthURL, "the URL to ask: /readyz for ready, /healthz for alive")
	cmd.Flags().DurationVar(&opts.timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// runHealthcheck GETs opts.url and returns nil on 200, printing the answer
// to out, or an error saying why not.
func runHealthcheck(ctx context.Context, opts *healthcheckOptions, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	where := store.RedactURL(opts.url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opts.url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", where, unwrapURLError(err))
	}
	// Straight to the service: a health check never goes through a proxy.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck %s: %w", where, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return fmt.Errorf("healthcheck %s: read the answer: %w", where, err)
	}
	answer := strings.Join(strings.Split(strings.TrimSpace(string(body)), "\n"), "; ")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck %s: %s: %s", where, resp.Status, answer)
	}
	_, err = fmt.Fprintln(out, answer)
	return err
}

// unwrapURLError drops the *url.Error around err, which repeats the whole
// URL, password included.
func unwrapURLError(err error) error {
	if uerr := (*url.Error)(nil); errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
