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

// worstFirst returns rows ordered by severity, then site, then device
// and target. It sorts rows by device and target when they are not (the
// notifier's rows are), then places them by (severity, site) group,
// keeping that order within each: a counting sort, as a fleet has few
// sites, that moves each row once.
func worstFirst(rows []statusRow) []statusRow {
	if !slices.IsSortedFunc(rows, rowOrder) {
		slices.SortFunc(rows, rowOrder)
	}
	type group struct {
		rank int
		site string
	}
	index := map[group]int{}
	var groups []group
	groupOf := make([]int, len(rows))
	for i := range rows {
		g := group{severity[rows[i].State], rows[i].Site}
		k, ok := index[g]
		if !ok {
			k = len(groups)
			index[g] = k
			groups = append(groups, g)
		}
		groupOf[i] = k
	}
	byOrder := make([]int, len(groups))
	for k := range byOrder {
		byOrder[k] = k
	}
	slices.SortFunc(byOrder, func(a, b int) int {
		return cmp.Or(cmp.Compare(groups[a].rank, groups[b].rank), strings.Compare(groups[a].site, groups[b].site))
	})
	count := make([]int, len(groups))
	for _, k := range groupOf {
		count[k]++
	}
	start, next := make([]int, len(groups)), 0
	for _, k := range byOrder {
		start[k], next = next, next+count[k]
	}
	out := make([]statusRow, len(rows))
	for i, k := range groupOf {
		out[start[k]] = rows[i]
		start[k]++
	}
	return out
}

// tableView is how a status table is drawn: its style and the time the
// relative times are counted from.
type tableView struct {
	style termstyle.Style
	now   time.Time
	// agos holds the relative text of each time seen: a fleet's rows
	// share few.
	agos map[string]string
}

var statusHeader = []string{"DEVICE", "SITE", "TARGET", "STATE", "SINCE", "LAST CHECKED", "LOSS", "RTT AVG", "NOTE"}

// stateColumn is the index of STATE in statusHeader: the painted cell.
const stateColumn = 3

// writeStatusTable writes rows, in their order, as a table aligned in
// columns, the NOTE column cut so that no line is wider than the
// terminal, then the summary line.
func writeStatusTable(w io.Writer, rows []statusRow, v tableView) error {
	if v.agos == nil {
		v.agos = make(map[string]string)
	}
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
	bw := bufio.NewWriterSize(w, 64<<10)
	for r, row := range cells {
		pad := 0 // spaces owed before the next cell: none at the end of a line
		for c, s := range row {
			if c == len(row)-1 {
				s = termstyle.Cut(s, noteWidth)
			}
			if s == "" {
				pad += widths[c] + 2
				continue
			}
			writeSpaces(bw, pad)
			if c == stateColumn && r > 0 {
				bw.WriteString(v.style.Paint(s, s))
			} else {
				bw.WriteString(s)
			}
			pad = widths[c] - utf8.RuneCountInString(s) + 2
		}
		bw.WriteByte('\n')
	}
	bw.WriteString(summary(rows, v.style))
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// spaces is what writeSpaces writes from.
var spaces = strings.Repeat(" ", 256)

// writeSpaces writes n spaces.
func writeSpaces(w *bufio.Writer, n int) {
	for n > 0 {
		k := min(n, len(spaces))
		w.WriteString(spaces[:k])
		n -= k
	}
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
	if a, ok := v.agos[s]; ok {
		return a
	}
	a := s
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		a = termstyle.Ago(t, v.now)
	}
	v.agos[s] = a
	return a
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
