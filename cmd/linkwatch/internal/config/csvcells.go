package config

import (
	"encoding/csv"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The cells of a devices file: each becomes a YAML node at the cell's
// position, and within a list or target cell at the item's own column.

// row turns one record into a device mapping. An empty cell gives no
// value (the device takes the default).
func (c *csvFile) row(r *csv.Reader, h csvHeader, rec []string, data []byte, starts []int) *yaml.Node {
	line, _ := r.FieldPos(0)
	dev := &yaml.Node{Kind: yaml.MappingNode, Line: line, Column: 1}
	for i, raw := range rec {
		fline, fcol := r.FieldPos(i)
		cell, off := trimSpan(raw)
		if cell == "" {
			continue
		}
		at := cellPos{line: fline, col: fcol, off: off, exact: !strings.ContainsAny(raw, "\n\"")}
		if at.exact && quotedAt(data, starts, fline, fcol) {
			at.col++
		}
		if !c.cellOK(at, cell) {
			continue
		}
		setPath(dev, strings.Split(h.cols[i], "."), c.value(h.cols[i], cell, at))
	}
	return dev
}

// cellOK rejects a cell too large to be a value, and one a spreadsheet
// would run as a formula.
func (c *csvFile) cellOK(at cellPos, cell string) bool {
	line, col := at.pos(0)
	switch {
	case len(cell) > maxCellBytes:
		c.errorf(line, col, "cell of %d bytes: at most %d KiB", len(cell), maxCellBytes>>10)
		return false
	case strings.ContainsAny(cell[:1], formulaStarts):
		c.errorf(line, col, "%q starts with %q: a spreadsheet would run it as a formula, and no value starts so", clip(cell), cell[:1])
		return false
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// cellPos locates text within a cell: the cell's line and column, the
// offset of its trimmed value, and whether offsets within it map to
// columns (not in a cell with quotes or line breaks in it).
type cellPos struct {
	line, col, off int
	exact          bool
}

// pos is the line and column of byte i of the cell's trimmed value.
func (p cellPos) pos(i int) (int, int) {
	if !p.exact {
		return p.line, p.col
	}
	return p.line, p.col + p.off + i
}

func (p cellPos) scalar(s string, i int) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
	n.Line, n.Column = p.pos(i)
	n.Tag = n.ShortTag()
	return n
}

// quotedAt reports whether the field at line and column of data, whose
// lines start at starts, starts with a quote.
func quotedAt(data []byte, starts []int, line, col int) bool {
	if line < 1 || line > len(starts) {
		return false
	}
	i := starts[line-1] + col - 1
	return i < len(data) && data[i] == '"'
}

// value is the node of one cell of column col: a list for the targets and
// the SSH algorithm lists, else a single value.
func (c *csvFile) value(col, cell string, at cellPos) *yaml.Node {
	switch {
	case col == "targets":
		return c.targets(cell, at)
	case strings.HasPrefix(col, "ssh.") && col != "ssh.legacy":
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		seq.Line, seq.Column = at.pos(0)
		for _, it := range spans(cell, csvListSep) {
			seq.Content = append(seq.Content, at.scalar(it.s, it.off))
		}
		return seq
	}
	return at.scalar(cell, 0)
}

// targets reads a targets cell: targets separated by ';', each an address
// optionally followed by key=value options (vrf=MGMT count=3), separated
// by spaces: "10.0.0.1; 10.0.0.2 vrf=MGMT source=Loopback0".
func (c *csvFile) targets(cell string, at cellPos) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	seq.Line, seq.Column = at.pos(0)
	for _, it := range spans(cell, csvListSep) {
		words := fieldSpans(it.s)
		if len(words) == 1 {
			seq.Content = append(seq.Content, at.scalar(it.s, it.off))
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		m.Line, m.Column = at.pos(it.off)
		m.Content = append(m.Content, at.scalar("address", it.off), at.scalar(words[0].s, it.off))
		for _, w := range words[1:] {
			k, v, ok := strings.Cut(w.s, csvOptionSep)
			if !ok || k == "" {
				line, col := at.pos(it.off + w.off)
				c.rowErrorf(line, col, "targets: %q is not an option (key=value after the address, key one of %s)", clip(w.s), strings.Join(targetOptions(), ", "))
				continue
			}
			m.Content = append(m.Content, at.scalar(k, it.off+w.off), at.scalar(v, it.off+w.off+len(k)+1))
		}
		seq.Content = append(seq.Content, m)
	}
	return seq
}

// targetOptions are the keys a target may have besides its address.
func targetOptions() []string {
	var keys []string
	for k := range fieldsOf(targetType) {
		if k != "address" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// span is a piece of a string and its offset in it.
type span struct {
	s   string
	off int
}

// spans splits s at sep, trimming each piece; empty pieces are dropped.
func spans(s, sep string) []span {
	var out []span
	off := 0
	for piece := range strings.SplitSeq(s, sep) {
		if t, lead := trimSpan(piece); t != "" {
			out = append(out, span{t, off + lead})
		}
		off += len(piece) + len(sep)
	}
	return out
}

// fieldSpans splits s at runs of white space.
func fieldSpans(s string) []span {
	var out []span
	off := 0
	for _, w := range strings.Fields(s) {
		i := off + strings.Index(s[off:], w)
		out = append(out, span{w, i})
		off = i + len(w)
	}
	return out
}

// trimSpan trims spaces and tabs around s, returning the offset of what
// is left.
func trimSpan(s string) (string, int) {
	t := strings.TrimLeft(s, " \t")
	lead := len(s) - len(t)
	return strings.TrimRight(t, " \t"), lead
}

// setPath sets keys (a column split at its dots) to val in the mapping m,
// making the nested mappings on the way, all at val's position.
func setPath(m *yaml.Node, keys []string, val *yaml.Node) {
	for _, k := range keys[:len(keys)-1] {
		var next *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == k {
				next = m.Content[i+1]
			}
		}
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Line: val.Line, Column: val.Column}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k, Line: val.Line, Column: val.Column}, next)
		}
		m = next
	}
	key := &yaml.Node{Kind: yaml.ScalarNode, Value: keys[len(keys)-1], Line: val.Line, Column: val.Column}
	m.Content = append(m.Content, key, val)
}
