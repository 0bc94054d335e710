package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/linkwatch/linkwatch/notifier/mail/smtptest"
)

// entry is one link change as an email states it (notifier/render's text:
// "SITE / DEVICE / TARGET: FROM → TO" then "    at 2006-01-02 15:04:05 UTC").
type entry struct {
	device, target, from, to string
	at                       time.Time // to the second
}

func (e entry) link() string { return e.device + " " + e.target }

func (e entry) String() string {
	return fmt.Sprintf("%s %s %s → %s at %s", e.device, e.target, e.from, e.to, e.at.Format(time.TimeOnly))
}

// firstSeen is how an email names the state before a link's first one.
const firstSeen = "(first seen)"

// email is one message the sink accepted.
type email struct {
	file      string
	received  time.Time
	messageID string
	links     []entry
	devices   []string // device entries: "dc1 / r1: unreachable (TIMEOUT)", "… reachable again"
	sites     []string // site entries: "dc1: no results for 10s (…)", "dc1: results again …"
	other     []string // entries of any other shape
}

var (
	entryRE  = regexp.MustCompile(`^(\S[^\n]*?): ([^\n]+)\n {4}at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC`)
	changeRE = regexp.MustCompile(`^(.+) → (\S+)$`)
)

// parseEmail reads a file the sink wrote; its name starts with the time it
// was accepted, in unix nanoseconds.
func parseEmail(path string) (email, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return email{}, err
	}
	base := filepath.Base(path)
	ns, err := strconv.ParseInt(strings.SplitN(base, "-", 2)[0], 10, 64)
	if err != nil {
		return email{}, fmt.Errorf("%s: no arrival time in the name", base)
	}
	m, err := smtptest.Parse(data)
	if err != nil {
		return email{}, fmt.Errorf("%s: %w", base, err)
	}
	e := email{file: base, received: time.Unix(0, ns), messageID: m.Header.Get("Message-Id")}
	text := strings.ReplaceAll(m.Text, "\r\n", "\n")
	// Entries begin at the start of a line after the summary's blank line.
	for _, block := range strings.Split(text, "\n\n")[1:] {
		for _, part := range splitEntries(block) {
			e.add(part)
		}
	}
	return e, nil
}

// splitEntries cuts a block into entries: each starts with a line that is
// not indented.
func splitEntries(block string) []string {
	var parts []string
	for _, line := range strings.Split(block, "\n") {
		switch {
		case line == "" || line == "-- " || line == "linkwatch":
		case strings.HasPrefix(line, " ") && len(parts) > 0:
			parts[len(parts)-1] += "\n" + line
		default:
			parts = append(parts, line)
		}
	}
	return parts
}

// add files one entry of the text as a link change, a device entry or
// another kind.
func (e *email) add(part string) {
	m := entryRE.FindStringSubmatch(part)
	if m == nil {
		if !strings.HasPrefix(part, " ") {
			e.other = append(e.other, firstLine(part))
		}
		return
	}
	where := strings.Split(m[1], " / ")
	c := changeRE.FindStringSubmatch(m[2])
	at, err := time.Parse(time.DateTime, m[3])
	switch {
	case len(where) == 3 && c != nil && err == nil:
		e.links = append(e.links, entry{device: where[1], target: where[2], from: c[1], to: c[2], at: at})
	case len(where) == 2:
		e.devices = append(e.devices, m[1]+": "+m[2])
	case len(where) == 1:
		e.sites = append(e.sites, m[1]+": "+m[2])
	default:
		e.other = append(e.other, firstLine(part))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// inbox reads the sink's directory, each file once.
type inbox struct {
	dir    string
	seen   map[string]bool
	emails []email
}

// poll parses the files that arrived since the last poll.
func (b *inbox) poll() error {
	des, err := os.ReadDir(b.dir)
	if err != nil {
		return err
	}
	var names []string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".eml") && !b.seen[de.Name()] {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		e, err := parseEmail(filepath.Join(b.dir, name))
		if err != nil {
			return err
		}
		b.seen[name] = true
		b.emails = append(b.emails, e)
	}
	return nil
}
