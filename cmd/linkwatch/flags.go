package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
)

// defaultConfig is the configuration file a command reads without --config.
const defaultConfig = "linkwatch.yaml"

// addConfigFlag declares --config (-c), the configuration file, on a
// command that reads one. readFor, when not empty, says what for.
func addConfigFlag(cmd *cobra.Command, path *string, readFor string) {
	usage := "configuration file"
	if readFor != "" {
		usage += " (for " + readFor + ")"
	}
	cmd.Flags().StringVarP(path, "config", "c", defaultConfig, usage)
}

// outputFormat is the --output flag of the commands that print rows:
// table or json. It refuses any other value when the flag is parsed.
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputJSON  outputFormat = "json"
)

// addOutputFlag declares --output (-o), table by default.
func addOutputFlag(cmd *cobra.Command, o *outputFormat) {
	*o = outputTable
	cmd.Flags().VarP(o, "output", "o", "output format: table or json")
}

var _ pflag.Value = (*outputFormat)(nil)

func (o *outputFormat) String() string { return string(*o) }

// Type is "string", as the flag's help has always said.
func (o *outputFormat) Type() string { return "string" }

func (o *outputFormat) Set(s string) error {
	switch f := outputFormat(s); f {
	case outputTable, outputJSON:
		*o = f
		return nil
	}
	return fmt.Errorf("--output %q: must be table or json", s)
}

// addColorFlag declares --color, auto by default.
func addColorFlag(cmd *cobra.Command, m *termstyle.Mode) {
	*m = termstyle.Auto
	cmd.Flags().Var(m, "color", "colour the states: auto (on a terminal without NO_COLOR), always or never")
}

// flagError is the root's flag error function: a bad value of one of
// linkwatch's own flag types (--output, --log-level, --log-format) is
// reported with the type's own message
// (`--output "xml": must be table or json`), not wrapped in pflag's
// `invalid argument "xml" for "-o, --output" flag: ...`.
func flagError(_ *cobra.Command, err error) error {
	var bad *pflag.InvalidValueError
	if errors.As(err, &bad) {
		switch bad.GetFlag().Value.(type) {
		case *outputFormat, *logLevel, *logFormat, *termstyle.Mode:
			return bad.Unwrap()
		}
	}
	return err
}

// writeJSONLines writes rows as --output json does: one JSON object per
// line. what names the output in an error.
func writeJSONLines[T any](w io.Writer, rows []T, what string) error {
	enc := json.NewEncoder(w)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil { // a pointer: no copy of each row
			return fmt.Errorf("write %s: %w", what, err)
		}
	}
	return nil
}
