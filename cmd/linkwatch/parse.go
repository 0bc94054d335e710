package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/linkwatch/linkwatch/worker/ping"
)

// maxParseInput bounds what parse reads: a ping of 1000 probes prints a few
// tens of kilobytes, so anything near this is not ping output.
const maxParseInput = 4 << 20

type parseOptions struct {
	Platform string
	File     string // "" or "-" reads In
	In       io.Reader
	Out      io.Writer
}

func newParseCmd() *cobra.Command {
	opts := &parseOptions{}
	cmd := &cobra.Command{
		Use:   "parse --platform PLATFORM [FILE|-]",
		Short: "Classify saved ping output and print the verdict as JSON",
		Long: `Parse reads the text a router printed for one ping (from FILE, or standard
input when FILE is "-" or absent), classifies it exactly as the worker does,
and prints one JSON object on one line:

  {"status":"DROP","sent":5,"received":3,"success_percent":60,"rtt_min_ms":1,"rtt_avg_ms":2,"rtt_max_ms":4}

An output that is an error (unknown host, invalid input) gives
"status":"ERROR" with the device's message in "error"; that is still a
successful run.`,
		Example: "  linkwatch parse --platform cisco_iosxr ping.txt\n  ssh r1 'ping 10.0.0.1' | linkwatch parse --platform cisco_iosxe",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			opts.In = cmd.InOrStdin()
			opts.Out = cmd.OutOrStdout()
			return runParse(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Platform, "platform", "", "platform that printed the output: "+strings.Join(ping.Platforms(), ", "))
	return cmd
}

func runParse(ctx context.Context, opts *parseOptions) error {
	if opts.Platform == "" {
		return fmt.Errorf("--platform is required (known: %s)", ping.KnownList())
	}
	if _, err := ping.Lookup(opts.Platform); err != nil {
		return err
	}
	output, err := readParseInput(ctx, opts)
	if err != nil {
		return err
	}
	r, err := ping.Parse(opts.Platform, output)
	if err != nil {
		return err
	}
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = fmt.Fprintf(opts.Out, "%s\n", line)
	return err
}

// readParseInput reads the file or standard input named by opts, giving up
// when ctx ends so that an interrupt is not stuck behind a terminal read.
func readParseInput(ctx context.Context, opts *parseOptions) (string, error) {
	name, in := "standard input", opts.In
	if opts.File != "" && opts.File != "-" {
		f, err := os.Open(opts.File)
		if err != nil {
			return "", fmt.Errorf("open ping output: %w", err)
		}
		defer f.Close()
		name, in = opts.File, f
	}
	type read struct {
		b   []byte
		err error
	}
	done := make(chan read, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(in, maxParseInput+1))
		done <- read{b, err}
	}()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("read %s: %w", name, ctx.Err())
	case r := <-done:
		if r.err != nil {
			return "", fmt.Errorf("read %s: %w", name, r.err)
		}
		if len(r.b) > maxParseInput {
			return "", fmt.Errorf("read %s: more than %d MiB, not a ping output", name, maxParseInput>>20)
		}
		return string(r.b), nil
	}
}
