package render

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/linkwatch/linkwatch/notifier/state"
)

//go:embed templates/email.txt.tmpl templates/email.html.tmpl
var templateFS embed.FS

var (
	textTemplate = texttemplate.Must(texttemplate.New("email.txt.tmpl").
			ParseFS(templateFS, "templates/email.txt.tmpl"))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("email.html.tmpl").
			Funcs(htmltemplate.FuncMap{"stateStyle": stateStyle}).
			ParseFS(templateFS, "templates/email.html.tmpl"))
)

// stateOrder is the order of link states in a subject line.
var stateOrder = []string{state.Down, state.Drop, state.Error, state.Flapping, state.Up}

// maxErrorText bounds the device error text quoted in an email.
const maxErrorText = 500

// entry is one line item of an email: a link change or a device alert.
type entry struct {
	Site, Device, Target string
	Where                string   // "dc1 / r1 / 10.0.0.1"
	Change               string   // "UP → DOWN", "unreachable (TIMEOUT)"
	State                string   // new state, UNREACHABLE or REACHABLE; picks a colour
	Details              []string // time, loss, error, duration
	at                   time.Time
}

// view is what the templates render.
type view struct {
	Summary string
	Entries []entry
}

// Alerts builds one email for a group of alerts (of one route): a subject
// that counts the changes per new state and names the sites, a text and an
// HTML body with one entry per change, sorted by site, device and target,
// and a Message-ID derived from the alerts (MessageID). Times are shown in
// UTC and in loc (nil means UTC only).
func Alerts(alerts []state.Alert, from string, to []string, loc *time.Location) Email {
	if loc == nil {
		loc = time.UTC
	}
	entries := make([]entry, 0, len(alerts))
	for _, a := range alerts {
		if e, ok := newEntry(a, loc); ok {
			entries = append(entries, e)
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.Site, b.Site), cmp.Compare(a.Device, b.Device),
			cmp.Compare(a.Target, b.Target), a.at.Compare(b.at))
	})
	v := view{Summary: summarize(alerts), Entries: entries}
	return Email{
		From:      from,
		To:        slices.Clone(to),
		Subject:   "[linkwatch] " + v.Summary,
		Text:      execute(textTemplate, v),
		HTML:      execute(htmlTemplate, v),
		MessageID: MessageID(alerts, from),
		Headers:   headers(alerts),
	}
}

// execute runs a fixed template over v. The templates are compiled into the
// binary and covered by golden tests, so a failure is a bug; it still yields
// a readable body rather than a crash.
func execute(t interface {
	Execute(io.Writer, any) error
}, v view) string {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return fmt.Sprintf("%s\n\n(rendering the email failed: %v)\n", v.Summary, err)
	}
	return b.String()
}

// summarize builds the subject without its prefix, e.g.
// "3 links DOWN, 1 UP, 1 device unreachable at dc1, dc2".
func summarize(alerts []state.Alert) string {
	counts := map[string]int{}
	var down, back, flapping, blind, seeing []state.Alert
	sites := map[string]bool{}
	for _, a := range alerts {
		switch {
		case a.Kind == state.AlertSite && a.Failure != "":
			blind = append(blind, a)
			sites[a.Site] = true
		case a.Kind == state.AlertSite:
			seeing = append(seeing, a)
			sites[a.Site] = true
		case a.Kind == state.AlertLink && a.Change != nil:
			counts[a.Change.To]++
			sites[a.Change.Site] = true
		case a.Kind == state.AlertDevice && deviceState(a) == state.Flapping:
			flapping = append(flapping, a)
			sites[a.Site] = true
		case a.Kind == state.AlertDevice && deviceState(a) == state.Unreachable:
			down = append(down, a)
			sites[a.Site] = true
		case a.Kind == state.AlertDevice:
			back = append(back, a)
			sites[a.Site] = true
		}
	}
	if len(blind)+len(seeing) == 1 && len(alerts) == 1 {
		return siteSentence(append(blind, seeing...)[0])
	}
	parts := append(linkParts(counts), siteParts(len(blind), len(seeing))...)
	named := len(parts) == 0
	if len(down) == 1 && named {
		parts = append(parts, fmt.Sprintf("%s unreachable (%s)", down[0].Device, down[0].Failure))
	} else if len(down) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s unreachable", len(down), plural(len(down), "device")))
	}
	if len(back) == 1 && named {
		parts = append(parts, back[0].Device+" reachable again")
	} else if len(back) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s reachable again", len(back), plural(len(back), "device")))
	}
	if len(flapping) == 1 && named {
		parts = append(parts, flapping[0].Device+" reachability flapping")
	} else if len(flapping) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s flapping", len(flapping), plural(len(flapping), "device")))
	}
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ") + atSites(sites)
}

// linkParts counts link changes per new state, known states first in
// stateOrder, then any other state by name. Only the first part says "link".
func linkParts(counts map[string]int) []string {
	states := slices.Clone(stateOrder)
	var other []string
	for s := range counts {
		if !slices.Contains(stateOrder, s) {
			other = append(other, s)
		}
	}
	slices.Sort(other)
	states = append(states, other...)

	var parts []string
	for _, s := range states {
		n := counts[s]
		if n == 0 {
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", n, plural(n, "link"), s))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return parts
}

// atSites names up to three sites and counts more.
func atSites(set map[string]bool) string {
	delete(set, "")
	sites := make([]string, 0, len(set))
	for s := range set {
		sites = append(sites, s)
	}
	slices.Sort(sites)
	switch {
	case len(sites) == 0:
		return ""
	case len(sites) <= 3:
		return " at " + strings.Join(sites, ", ")
	default:
		return fmt.Sprintf(" at %d sites", len(sites))
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// newEntry turns one alert into an email entry; ok is false for an alert
// of unknown kind or a link alert without its change.
func newEntry(a state.Alert, loc *time.Location) (e entry, ok bool) {
	switch {
	case a.Kind == state.AlertLink && a.Change != nil:
		return linkEntry(a, loc), true
	case a.Kind == state.AlertDevice:
		return deviceEntry(a, loc), true
	case a.Kind == state.AlertSite:
		return siteEntry(a, loc), true
	}
	return entry{}, false
}

func linkEntry(a state.Alert, loc *time.Location) entry {
	c := *a.Change
	from := c.From
	if from == "" {
		from = "(first seen)"
	}
	details := []string{"at " + formatTime(c.At, loc)}
	if m := measurement(c); m != "" {
		details = append(details, m)
	}
	if c.To == state.Error && c.Error != "" {
		details = append(details, "error: "+clip(c.Error))
	}
	if c.To == state.Flapping && a.Flaps > 0 {
		if d, ok := duration(a.FlapsFrom, c.At); ok {
			details = append(details, fmt.Sprintf("%d changes in %s; alerts held until it is quiet", a.Flaps, d))
		}
	}
	if c.To != state.Flapping && !c.PrevSince.IsZero() {
		if d, ok := duration(c.PrevSince, c.At); ok && badFor[c.From] != "" && (c.To == state.Up || c.From == state.Flapping) {
			details = append(details, badFor[c.From]+" for "+d)
		}
	}
	return entry{
		Site: c.Site, Device: c.Device, Target: c.Target,
		Where:  where(c.Site, c.Device, c.Target),
		Change: from + " → " + c.To, State: c.To,
		Details: details, at: c.At,
	}
}

// badFor words how a recovered link had been, by its previous state.
var badFor = map[string]string{state.Down: "down", state.Drop: "dropping", state.Error: "in error", state.Flapping: "flapping"}

func deviceEntry(a state.Alert, loc *time.Location) entry {
	e := entry{
		Site: a.Site, Device: a.Device, Where: where(a.Site, a.Device, ""),
		Details: []string{"at " + formatTime(a.At, loc)}, at: a.At,
	}
	switch e.State = deviceState(a); e.State {
	case state.Flapping:
		e.Change = "reachability flapping"
		if d, ok := duration(a.FlapsFrom, a.At); ok && a.Flaps > 0 {
			e.Details = append(e.Details, fmt.Sprintf("%d changes in %s; alerts held until it is quiet", a.Flaps, d))
		}
	case state.Unreachable:
		e.Change = "unreachable (" + a.Failure + ")"
		if a.From == state.Flapping {
			e.Change += " after flapping"
		}
		if a.FailureText != "" {
			e.Details = append(e.Details, "error: "+clip(a.FailureText))
		}
	default:
		e.Change = "reachable again"
		if a.From == state.Flapping {
			e.Change = "reachable, no longer flapping"
		}
		if !a.FailureSince.IsZero() {
			if d, ok := duration(a.FailureSince, a.At); ok {
				e.Details = append(e.Details, cmp.Or(badFor[a.From], "unreachable")+" for "+d)
			}
		}
	}
	return e
}

// deviceState is the reachability a device alert announces; alerts
// stored before it was recorded say it by their failure.
func deviceState(a state.Alert) string {
	switch {
	case a.State != "":
		return a.State
	case a.Failure != "":
		return state.Unreachable
	}
	return state.Reachable
}

func where(parts ...string) string {
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " / ")
}

// measurement words the ping counts and round-trip time of a change.
func measurement(c state.Change) string {
	var parts []string
	if c.Sent > 0 {
		loss := float64(c.Sent-c.Received) * 100 / float64(c.Sent)
		parts = append(parts, fmt.Sprintf("loss %s%% (%d/%d)", decimal(loss, 1), c.Received, c.Sent))
	}
	if c.RTTAvgMs != nil {
		parts = append(parts, "avg rtt "+decimal(*c.RTTAvgMs, 3)+" ms")
	}
	return strings.Join(parts, ", ")
}

func decimal(f float64, places int) string {
	p := math.Pow10(places)
	return strconv.FormatFloat(math.Round(f*p)/p, 'f', -1, 64)
}

// formatTime shows t in UTC and, unless loc is UTC, in loc too; the local
// date is repeated only when it differs from the UTC one.
func formatTime(t time.Time, loc *time.Location) string {
	u := t.UTC()
	s := u.Format("2006-01-02 15:04:05 UTC")
	if loc == time.UTC || loc.String() == "UTC" {
		return s
	}
	l := t.In(loc)
	if l.Format(time.DateOnly) != u.Format(time.DateOnly) {
		return s + " (" + l.Format("2006-01-02 15:04:05 MST") + ")"
	}
	return s + " (" + l.Format("15:04:05 MST") + ")"
}

// duration is to − from rounded to seconds; ok is false when it is negative.
func duration(from, to time.Time) (string, bool) {
	d := to.Sub(from).Round(time.Second)
	return d.String(), d >= 0
}

// clip folds device error text onto one line and bounds its length.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxErrorText {
		s = string(r[:maxErrorText]) + "…"
	}
	return s
}

// stateStyle colours a state in the HTML body.
func stateStyle(s string) htmltemplate.CSS {
	colour := map[string]string{
		state.Down: "#cc0000", state.Unreachable: "#cc0000", state.Drop: "#cc7a00", state.Flapping: "#cc7a00",
		state.Error: "#7a00cc", state.Up: "#008800", state.Reachable: "#008800",
		state.Stale: "#cc0000",
	}[s]
	if colour == "" {
		colour = "#000000"
	}
	return htmltemplate.CSS("color: " + colour + ";")
}
