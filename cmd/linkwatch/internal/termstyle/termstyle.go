// Package termstyle is how the CLI's human output looks on a terminal:
// whether it is coloured (--color auto|always|never and NO_COLOR, see
// https://no-color.org), how wide the terminal is, the colour of each
// link state, durations as "3m ago", and text cut to a width.
package termstyle

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/linkwatch/linkwatch/notifier/state"
)

// Mode is the value of --color.
type Mode string

const (
	Auto   Mode = "auto"
	Always Mode = "always"
	Never  Mode = "never"
)

// String, Set and Type make Mode a pflag.Value; Set refuses anything but
// auto, always and never.
func (m *Mode) String() string { return string(*m) }
func (m *Mode) Type() string   { return "string" }
func (m *Mode) Set(s string) error {
	switch v := Mode(s); v {
	case Auto, Always, Never:
		*m = v
		return nil
	}
	return fmt.Errorf("--color %q: must be auto, always or never", s)
}

// Style is how output to one writer looks.
type Style struct {
	// Color says whether states are painted with ANSI colours.
	Color bool
	// Width is the terminal's width in columns, 0 when w is not a
	// terminal (nothing is cut).
	Width int
}

// Detect decides the style of output to w: colour when mode is Always,
// or Auto with w a terminal and NO_COLOR unset or empty (getenv reads the
// environment); the width when w is a terminal.
func Detect(w io.Writer, mode Mode, getenv func(string) string) Style {
	f, ok := w.(*os.File)
	tty := ok && term.IsTerminal(int(f.Fd()))
	s := Style{Color: colored(mode, tty, getenv)}
	if tty {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			s.Width = width
		}
	}
	return s
}

// colored decides colour: always with Always, never with Never; with
// Auto on a terminal when NO_COLOR is unset or empty.
func colored(mode Mode, tty bool, getenv func(string) string) bool {
	switch mode {
	case Always:
		return true
	case Never:
		return false
	}
	return tty && getenv("NO_COLOR") == ""
}

// ANSI SGR sequences.
const (
	reset   = "\x1b[0m"
	red     = "\x1b[31m"
	green   = "\x1b[32m"
	yellow  = "\x1b[33m"
	magenta = "\x1b[35m"
	grey    = "\x1b[90m"
)

// colours is the colour of each state a link or device is shown in.
var colours = map[string]string{
	state.Up: green, state.Reachable: green,
	state.Down: red, state.Error: red, state.Unreachable: red,
	state.Drop: yellow, state.Flapping: magenta,
	state.Stale: grey, state.Unknown: grey,
}

// Paint returns text in the colour of st when s is coloured; text as it
// is otherwise, or for a state without a colour.
func (s Style) Paint(st, text string) string {
	c, ok := colours[st]
	if !s.Color || !ok || text == "" {
		return text
	}
	return c + text + reset
}

// Cut shortens text to at most width columns (runes), ending it with "…"
// when it was cut; width <= 0 leaves it whole.
func Cut(text string, width int) string {
	if width <= 0 || utf8.RuneCountInString(text) <= width {
		return text
	}
	if width == 1 {
		return "…"
	}
	n := 0
	for i := range text {
		if n == width-1 {
			return strings.TrimRight(text[:i], " ") + "…"
		}
		n++
	}
	return text
}

// Ago says how long before now t was, in its largest whole unit: "just
// now", "42s ago", "3m ago", "5h ago", "2d ago"; a t after now (a clock
// ahead) is "in 3s".
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	if d < time.Second && d > -time.Second {
		return "just now"
	}
	format := "%s ago"
	if d < 0 {
		d, format = -d, "in %s"
	}
	var n string
	switch {
	case d < time.Minute:
		n = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		n = fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		n = fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		n = fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf(format, n)
}
