package state

import (
	"strings"
	"testing"
	"time"
)

func TestSilenceMatches(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Hour)
	site := Silence{Site: "dc1", Start: start, End: end}
	dev := Silence{Device: "r1", Start: start, End: end}
	link := Silence{Device: "r1", Target: "10.0.0.1%MGMT", Start: start, End: end}
	both := Silence{Site: "dc1", Device: "r1", Start: start, End: end}
	in := start.Add(time.Hour)
	tests := []struct {
		name                 string
		s                    Silence
		site, device, target string
		at                   time.Time
		want                 bool
	}{
		{"site: a link at the site", site, "dc1", "r1", "10.0.0.1", in, true},
		{"site: a device's reachability", site, "dc1", "r2", "", in, true},
		{"site: the site itself", site, "dc1", "", "", in, true},
		{"site: another site", site, "dc2", "r1", "10.0.0.1", in, false},
		{"site: at its start", site, "dc1", "r1", "", start, true},
		{"site: at its end", site, "dc1", "r1", "", end, false},
		{"site: before", site, "dc1", "r1", "", start.Add(-time.Nanosecond), false},
		{"device: its link", dev, "dc1", "r1", "10.0.0.9", in, true},
		{"device: its reachability", dev, "dc2", "r1", "", in, true},
		{"device: another device", dev, "dc1", "r2", "10.0.0.1", in, false},
		{"device: not the site", dev, "dc1", "", "", in, false},
		{"link: that link", link, "dc1", "r1", "10.0.0.1%MGMT", in, true},
		{"link: the same address in another VRF", link, "dc1", "r1", "10.0.0.1", in, false},
		{"link: not the reachability", link, "dc1", "r1", "", in, false},
		{"site and device: the device there", both, "dc1", "r1", "10.0.0.1", in, true},
		{"site and device: the device elsewhere", both, "dc2", "r1", "10.0.0.1", in, false},
	}
	for _, tc := range tests {
		if got := tc.s.Matches(tc.site, tc.device, tc.target, tc.at); got != tc.want {
			t.Errorf("%s: Matches(%q, %q, %q) = %v, want %v", tc.name, tc.site, tc.device, tc.target, got, tc.want)
		}
	}
	if Silences(nil).Silenced(in) != nil {
		t.Error("no silences: Silenced is not nil")
	}
	f := Silences{dev, site}.Silenced(in)
	if !f("dc1", "r9", "") || !f("dc2", "r1", "x") || f("dc2", "r2", "") {
		t.Error("Silenced does not match any of the set")
	}
}

func TestSilenceValidate(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ok := Silence{Device: "r1", Start: now, End: now.Add(2 * time.Hour), Comment: "IOS upgrade", CreatedBy: "ana@noc1"}
	with := func(f func(*Silence)) Silence { s := ok; f(&s); return s }
	tests := []struct {
		name string
		s    Silence
		want string // "" valid, else a part of the error
	}{
		{"valid", ok, ""},
		{"site only", with(func(s *Silence) { s.Device, s.Site = "", "dc1" }), ""},
		{"link with VRF", with(func(s *Silence) { s.Target = "10.0.0.1%MGMT" }), ""},
		{"multi-line comment", with(func(s *Silence) { s.Comment = "line one\nline two" }), ""},
		{"neither device nor site", with(func(s *Silence) { s.Device = "" }), "give a device or a site"},
		{"bad device", with(func(s *Silence) { s.Device = "r1.x" }), `device: "r1.x" is not a valid name`},
		{"bad site", with(func(s *Silence) { s.Site = "dc 1" }), `site: "dc 1" is not a valid name`},
		{"target without device", with(func(s *Silence) { s.Device, s.Site, s.Target = "", "dc1", "10.0.0.1" }), "a target needs its device"},
		{"bad target", with(func(s *Silence) { s.Target = "10.0.0.1;reload" }), "target: "},
		{"empty VRF", with(func(s *Silence) { s.Target = "10.0.0.1%" }), "empty VRF"},
		{"no comment", with(func(s *Silence) { s.Comment = "" }), "comment: is required"},
		{"huge comment", with(func(s *Silence) { s.Comment = strings.Repeat("x", MaxSilenceComment+1) }), "comment: is 501 bytes long"},
		{"control character", with(func(s *Silence) { s.Comment = "a\x1b[2Jb" }), "control character"},
		{"not UTF-8", with(func(s *Silence) { s.Comment = "a\xffb" }), "not valid UTF-8"},
		{"author with a newline", with(func(s *Silence) { s.CreatedBy = "ana\nbob" }), "created_by: has a newline"},
		{"huge author", with(func(s *Silence) { s.CreatedBy = strings.Repeat("u", MaxSilenceAuthor+1) }), "created_by: is 201 bytes"},
		{"empty span", with(func(s *Silence) { s.End = s.Start }), "in the past"},
		{"starts after its end", with(func(s *Silence) { s.Start = s.End.Add(time.Hour) }), "is not after start"},
		{"too long", with(func(s *Silence) { s.End = s.Start.Add(MaxSilenceFor + time.Second) }), "at most 720h0m0s"},
		{"30 days is fine", with(func(s *Silence) { s.End = s.Start.Add(MaxSilenceFor) }), ""},
	}
	for _, tc := range tests {
		err := tc.s.Validate(now)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	past := with(func(s *Silence) { s.Start, s.End = now.Add(-2*time.Hour), now.Add(-time.Hour) })
	if err := past.Validate(now); err == nil || !strings.Contains(err.Error(), "in the past") {
		t.Errorf("a silence that ended: %v, want an error saying so", err)
	}
}
