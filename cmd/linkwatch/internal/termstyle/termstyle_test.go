package termstyle

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestDetect checks the colour and width decisions on a real terminal (a
// pty of 100 columns) and on a writer that is not one, with and without
// NO_COLOR, for every --color mode.
func TestDetect(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty on this machine (%v): run on a Linux host with /dev/ptmx", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 100}); err != nil {
		t.Fatal(err)
	}
	env := func(noColor string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name    string
		out     *os.File
		pipe    bool
		mode    Mode
		noColor string
		want    Style
	}{
		{"terminal auto", tty, false, Auto, "", Style{Color: true, Width: 100}},
		{"terminal NO_COLOR", tty, false, Auto, "1", Style{Width: 100}},
		{"terminal NO_COLOR empty", tty, false, Auto, "", Style{Color: true, Width: 100}},
		{"terminal never", tty, false, Never, "", Style{Width: 100}},
		{"terminal always over NO_COLOR", tty, false, Always, "1", Style{Color: true, Width: 100}},
		{"pipe auto", nil, true, Auto, "", Style{}},
		{"pipe always", nil, true, Always, "", Style{Color: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Style
			if tc.pipe {
				got = Detect(&bytes.Buffer{}, tc.mode, env(tc.noColor))
			} else {
				got = Detect(tc.out, tc.mode, env(tc.noColor))
			}
			if got != tc.want {
				t.Errorf("Detect = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestModeSet(t *testing.T) {
	var m Mode
	for _, s := range []string{"auto", "always", "never"} {
		if err := m.Set(s); err != nil || string(m) != s {
			t.Errorf("Set(%q): %v, mode %q", s, err, m)
		}
	}
	if err := m.Set("yes"); err == nil || err.Error() != `--color "yes": must be auto, always or never` {
		t.Errorf("Set(yes): %v", err)
	}
}

func TestPaint(t *testing.T) {
	on, off := Style{Color: true}, Style{}
	for _, tc := range []struct {
		style    Style
		st, want string
	}{
		{on, "UP", "\x1b[32mUP\x1b[0m"},
		{on, "DOWN", "\x1b[31mDOWN\x1b[0m"},
		{on, "ERROR", "\x1b[31mERROR\x1b[0m"},
		{on, "DROP", "\x1b[33mDROP\x1b[0m"},
		{on, "FLAPPING", "\x1b[35mFLAPPING\x1b[0m"},
		{on, "STALE", "\x1b[90mSTALE\x1b[0m"},
		{on, "UNKNOWN", "\x1b[90mUNKNOWN\x1b[0m"},
		{on, "SIDEWAYS", "SIDEWAYS"},
		{off, "DOWN", "DOWN"},
	} {
		if got := tc.style.Paint(tc.st, tc.st); got != tc.want {
			t.Errorf("%+v.Paint(%s) = %q, want %q", tc.style, tc.st, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"connection refused", 0, "connection refused"},
		{"connection refused", 18, "connection refused"},
		{"connection refused", 11, "connection…"},
		{"connection refused", 12, "connection…"}, // no space before the ellipsis
		{"connection refused", 1, "…"},
		{"ünïcödé text", 6, "ünïcö…"},
		{"", 5, ""},
	} {
		if got := Cut(tc.in, tc.width); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{500 * time.Millisecond, "just now"},
		{42 * time.Second, "42s ago"},
		{3*time.Minute + 59*time.Second, "3m ago"},
		{5 * time.Hour, "5h ago"},
		{47 * time.Hour, "47h ago"},
		{72 * time.Hour, "3d ago"},
		{-3 * time.Second, "in 3s"},
	} {
		if got := Ago(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("Ago(now-%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
