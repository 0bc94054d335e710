package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// logLevel is --log-level, a persistent flag of the root: debug, info,
// warn or error. It refuses any other value when the flag is parsed.
type logLevel struct{ slog.Level }

// logLevels are the values --log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

var _ pflag.Value = (*logLevel)(nil)

func (l *logLevel) String() string { return strings.ToLower(l.Level.String()) }
func (l *logLevel) Type() string   { return "string" }

func (l *logLevel) Set(s string) error {
	for _, name := range logLevels {
		if strings.EqualFold(s, name) {
			return l.UnmarshalText([]byte(name))
		}
	}
	return fmt.Errorf("--log-level %q: must be %s or %s", s, strings.Join(logLevels[:len(logLevels)-1], ", "), logLevels[len(logLevels)-1])
}

// logFormat is --log-format, a persistent flag of the root: text (slog's
// key=value lines) or json (one object a line).
type logFormat string

const (
	logText logFormat = "text"
	logJSON logFormat = "json"
)

var _ pflag.Value = (*logFormat)(nil)

func (f *logFormat) String() string { return string(*f) }
func (f *logFormat) Type() string   { return "string" }

func (f *logFormat) Set(s string) error {
	switch v := logFormat(s); v {
	case logText, logJSON:
		*f = v
		return nil
	}
	return fmt.Errorf("--log-format %q: must be text or json", s)
}

// addLogFlags declares --log-level and --log-format on the root, for
// every command.
func addLogFlags(root *cobra.Command) {
	level, format := &logLevel{slog.LevelInfo}, logText
	root.PersistentFlags().Var(level, "log-level", "log level: "+strings.Join(logLevels, ", "))
	root.PersistentFlags().Var(&format, "log-format", "log format: text or json")
}

// commandLogger is the logger a command logs with, on its standard error,
// at --log-level and in --log-format; at least at level atLeast (a
// command that only wants warnings raises it). A command built without
// the root has the defaults, info and text.
func commandLogger(cmd *cobra.Command, atLeast slog.Level) *slog.Logger {
	return slog.New(commandHandler(cmd, atLeast))
}

// commandHandler is commandLogger's handler.
func commandHandler(cmd *cobra.Command, atLeast slog.Level) slog.Handler {
	level, format := slog.LevelInfo, logText
	if f := cmd.Flags().Lookup("log-level"); f != nil {
		level = f.Value.(*logLevel).Level
	}
	if f := cmd.Flags().Lookup("log-format"); f != nil {
		format = *f.Value.(*logFormat)
	}
	return logHandler(cmd.ErrOrStderr(), format, max(level, atLeast))
}

func logHandler(w io.Writer, format logFormat, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == logJSON {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
