package worker

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, want string
		max            int
	}{
		{"plain", "% Unrecognized host or address.", "% Unrecognized host or address.", 100},
		{"invalid utf-8", "% Bad \xff\xfe host", "% Bad \uFFFD host", 100},
		{"ansi colour", "\x1b[31m% Error\x1b[0m: no route", "% Error: no route", 100},
		{"cursor moves", "abc\x1b[2K\x1b[1;1Hdef", "abcdef", 100},
		{"osc title", "\x1b]0;R1 title\a% Invalid input", "% Invalid input", 100},
		{"controls", "a\x00b\rc\x07d\x7fe\u0085f", "abcdef", 100},
		{"newline and tab kept", "line 1\n\tline 2", "line 1\n\tline 2", 100},
		{"line separators", "a\u2028b", "ab", 100},
		{"cut on a rune boundary", "ééééé", "é…", 5},
		{"fits exactly", "ééééé", "ééééé", 10},
		{"too small for the ellipsis", "abcdef", "", 2},
		{"escape at the end", "abc\x1b", "abc", 100},
		{"unfinished csi", "abc\x1b[31", "abc", 100},
	}
	for _, tt := range tests {
		got := CleanText(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("%s: CleanText(%q, %d) = %q, want %q", tt.name, tt.in, tt.max, got, tt.want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"% Bad \xff host", "\x1b[31mred\x1b[0m", "a\x00b", "ééé", "\x1b]0;t\a"} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max = max%2048 + 2048
		if max < 0 {
			max = -max
		}
		got := CleanText(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("CleanText(%q) = %q: not UTF-8", s, got)
		}
		if len(got) > max {
			t.Fatalf("CleanText(%q, %d) is %d bytes", s, max, len(got))
		}
		for _, r := range got {
			if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
				t.Fatalf("CleanText(%q) = %q keeps control %U", s, got, r)
			}
		}
		if strings.ContainsRune(got, '\x1b') {
			t.Fatalf("CleanText(%q) = %q keeps an escape", s, got)
		}
	})
}
