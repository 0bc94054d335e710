package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/linkwatch/linkwatch/cmd/linkwatch/internal/termstyle"
	"github.com/linkwatch/linkwatch/notifier/state"
)

// severity ranks the states status shows, worst first: what a NOC looks
// at first is at the top of the table.
var severity = map[string]int{
	state.Down: 0, state.Error: 0, state.Flapping: 1, state.Drop: 2, state.Stale: 3, state.Unknown: 4, state.Up: 5,
}

// worstFirst orders rows by severity, then site, device and target.
func worstFirst(a, b statusRow) int {
	return cmp.Or(cmp.Compare(severity[a.State], severity[b.State]), strings.Compare(a.Site, b.Site),
		strings.Compare(a.Device, b.Device), strings.Compare(a.Target, b.Target))
}

// tableView is how a status table is drawn: its style and the time the
// relative times are counted from.
type tableView struct {
	style termstyle.Style
	now   time.Time
}

var statusHeader = []string{"DEVICE", "SITE", "TARGET", "STATE", "SINCE", "LAST CHECKED", "LOSS", "RTT AVG", "NOTE"}

// stateColumn is the index of STATE in statusHeader: the painted cell.
const stateColumn = 3

// writeStatusTable writes rows, in their order, as a table aligned in
// columns, the NOTE column cut so that no line is wider than the
// terminal, then the summary line.
func writeStatusTable(w io.Writer, rows []statusRow, v tableView) error {
	cells := make([][]string, 0, len(rows)+1)
	cells = append(cells, statusHeader)
	for i := range rows {
		cells = append(cells, v.cells(&rows[i]))
	}
	widths := make([]int, len(statusHeader))
	for _, row := range cells {
		for c, s := range row[:len(row)-1] {
			widths[c] = max(widths[c], utf8.RuneCountInString(s))
		}
	}
	noteWidth := 0 // whole
	if v.style.Width > 0 {
		used := 0
		for _, n := range widths[:len(widths)-1] {
			used += n + 2
		}
		noteWidth = max(v.style.Width-used, 1)
	}
	bw := bufio.NewWriter(w)
	for r, row := range cells {
		var line strings.Builder
		for c, s := range row[:len(row)-1] {
			pad := strings.Repeat(" ", widths[c]-utf8.RuneCountInString(s)+2)
			if c == stateColumn && r > 0 {
				s = v.style.Paint(s, s)
			}
			line.WriteString(s)
			line.WriteString(pad)
		}
		line.WriteString(termstyle.Cut(row[len(row)-1], noteWidth))
		bw.WriteString(strings.TrimRight(line.String(), " "))
		bw.WriteByte('\n')
	}
	bw.WriteString(summary(rows, v.style))
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// cells are the texts of r's columns: times relative to v.now, "-" for
// what does not apply (no target, no time, the loss and RTT of a link
// without a fresh measurement).
func (v tableView) cells(r *statusRow) []string {
	target := targetText(r.Target, r.VRF)
	loss, rtt := "-", "-"
	if measured(r) {
		loss = strconv.FormatFloat(r.LossPercent, 'g', -1, 64) + "%"
		if r.RTTAvgMs != nil && r.Received > 0 {
			rtt = strconv.FormatFloat(*r.RTTAvgMs, 'g', -1, 64) + "ms"
		}
	}
	return []string{r.Device, r.Site, dash(target), r.State, v.ago(r.Since), v.ago(r.LastChecked), loss, rtt,
		oneLineAll(noteText(*r))}
}

// measured reports whether r's loss and RTT say something: a link with a
// fresh verdict from replies sent, not an ERROR, UNKNOWN or STALE one.
func measured(r *statusRow) bool {
	return r.Sent > 0 && r.State != state.Error && r.State != state.Unknown && r.State != state.Stale
}

// ago is an RFC 3339 time of a row relative to v.now, "-" when there is
// none; a time that does not parse is shown as it is.
func (v tableView) ago(s string) string {
	if s == "" {
		return "-"
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return termstyle.Ago(t, v.now)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLineAll is s on one line, whitespace runs made one space; cutting is
// the table's, to the terminal's width.
func oneLineAll(s string) string { return strings.Join(strings.Fields(s), " ") }

// summary is the line under the table: how many rows are in each state,
// UP first, then worst first ("42 UP · 2 DOWN · 1 DROP · 1 UNKNOWN"),
// each state painted; "no links" for none.
func summary(rows []statusRow, style termstyle.Style) string {
	if len(rows) == 0 {
		return "no links"
	}
	counts := map[string]int{}
	for i := range rows {
		counts[rows[i].State]++
	}
	order := []string{state.Up}
	for _, st := range state.ShownStates {
		if st != state.Up {
			order = append(order, st)
		}
	}
	slices.SortStableFunc(order[1:], func(a, b string) int { return cmp.Compare(severity[a], severity[b]) })
	var parts []string
	for _, st := range order {
		if n := counts[st]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+style.Paint(st, st))
		}
	}
	return strings.Join(parts, " · ")
}
