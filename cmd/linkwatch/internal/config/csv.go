package config

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/linkwatch/linkwatch/internal/suggest"
)

// An inventory in CSV (devices_file) is read as if its rows were written
// under devices: each row becomes a YAML mapping whose nodes carry the
// row's line and the cell's column, and goes through the same decoder and
// validator as a device in linkwatch.yaml. The limits keep a hostile or
// mistaken file from costing more than a large real inventory.
const (
	maxDevicesFileBytes = 32 << 20 // the whole file
	maxDevicesFileRows  = 100000   // devices
	maxCellBytes        = 64 << 10 // one cell (a device's targets)
)

// csvListSep separates the items of a list cell (targets, ssh.ciphers…);
// csvOptionSep the key=value options that may follow a target's address.
const (
	csvListSep   = ";"
	csvOptionSep = "="
)

// formulaStarts are the first characters by which a spreadsheet takes a
// cell for a formula (CSV injection). No valid value starts with one.
const formulaStarts = "=+-@"

// decodeDevicesFile reads the devices of f from the CSV file at path. It
// reports whether the file could be read as CSV; problems of its devices
// are left for validation, like those of devices in linkwatch.yaml.
func (d *decoder) decodeDevicesFile(path string, f *file) bool {
	if d.given("devices") {
		d.errorf(d.nodes["devices_file"], "devices_file", "give devices or devices_file, not both")
		return false
	}
	seq, rowErrs, errs := readDevicesFile(path)
	if len(errs) > 0 {
		d.errs = append(d.errs, errs...)
		return false
	}
	d.errs = append(d.errs, rowErrs...)
	d.budget += countNodes(seq) // no aliases in a CSV file: every node is decoded once
	d.src = path
	d.decode(seq, "devices", reflect.ValueOf(&f.Devices).Elem())
	d.src = d.file
	return true
}

// rowPath is path shown for a device of a devices file, where the line
// already says which device: without its leading devices[N].
func rowPath(path string) string {
	rest, ok := strings.CutPrefix(path, "devices[")
	if !ok {
		return path
	}
	_, after, ok := strings.Cut(rest, "]")
	if !ok {
		return path
	}
	return strings.TrimPrefix(after, ".")
}

// csvColumns are the columns a devices file may have: the keys of a device
// in linkwatch.yaml, nested ones written with a dot (ping.count,
// ssh.legacy). They come from rawDevice itself, so a key added to a device
// is a column at once.
func csvColumns() []string {
	var cols []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for key, idx := range fieldsOf(t) {
			ft := t.FieldByIndex(idx).Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != durationType {
				walk(ft, prefix+key+".")
				continue
			}
			cols = append(cols, prefix+key)
		}
	}
	walk(reflect.TypeFor[rawDevice](), "")
	slices.Sort(cols)
	return cols
}

// csvRequired are the columns a devices file must have: what no default
// supplies.
var csvRequired = []string{"name", "host", "targets"}

// csvFile reads a devices file into a YAML sequence of device mappings.
// Problems of the file as a whole (size, encoding, CSV syntax, header)
// are returned; a file with any is not decoded further.
type csvFile struct {
	name string
	errs Errors
	// rowErrs are problems of single rows (a row of the wrong length, a
	// target option that is not key=value): the other rows are still
	// worth validating.
	rowErrs Errors
}

func (c *csvFile) errorf(line, col int, format string, args ...any) {
	c.errs = append(c.errs, Error{File: c.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

func (c *csvFile) rowErrorf(line, col int, format string, args ...any) {
	c.rowErrs = append(c.rowErrs, Error{File: c.name, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// readDevicesFile reads the devices file at path into a sequence of
// device mappings, with the problems of single rows. A file with problems
// of its own (errs) gives no sequence.
func readDevicesFile(path string) (seq *yaml.Node, rowErrs, errs Errors) {
	c := &csvFile{name: path}
	data, err := readBounded(path, maxDevicesFileBytes)
	if err != nil {
		c.errorf(0, 0, "%s", err)
		return nil, nil, c.errs
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a spreadsheet's byte order mark
	if !c.text(data) {
		return nil, nil, c.errs
	}
	seq = c.rows(data)
	if len(c.errs) > 0 {
		return nil, nil, c.errs
	}
	return seq, c.rowErrs, nil
}

// readBounded reads the file at path, refusing one over limit bytes
// without reading more than that.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read devices_file: %w", unwrapPath(err))
	}
	defer f.Close()
	tooLarge := fmt.Errorf("devices_file is larger than %d MiB: split the inventory or check that this is the right file", limit>>20)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
		return nil, tooLarge
	}
	// Not a regular file, or one that grows: the limit holds as it is read.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read devices_file: %w", unwrapPath(err))
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// unwrapPath drops the path an *os.PathError repeats: errors already start
// with the file's name.
func unwrapPath(err error) error {
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// text checks that data is UTF-8 text without NUL bytes, reporting the
// position of the first offending byte.
func (c *csvFile) text(data []byte) bool {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		line, col := position(data, i)
		c.errorf(line, col, "NUL byte: a devices file is text (is this a spreadsheet's binary format? export it as CSV)")
		return false
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		line, col := position(data, i)
		c.errorf(line, col, "invalid UTF-8: save the devices file as UTF-8 CSV")
		return false
	}
	return true
}

// position is the 1-based line and byte column of offset i in data.
func position(data []byte, i int) (line, col int) {
	before := data[:i]
	line = bytes.Count(before, []byte("\n")) + 1
	return line, i - (bytes.LastIndexByte(before, '\n') + 1) + 1
}

// csvHeader is the header row: the column of each field.
type csvHeader struct {
	cols []string
}

// rows parses data as CSV: a header, then one device a row. Lines starting
// with '#' are comments.
func (c *csvFile) rows(data []byte) *yaml.Node {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	rec, err := r.Read()
	if err == io.EOF {
		c.errorf(0, 0, "no header row: the first line names the columns (%s)", strings.Join(csvColumns(), ", "))
		return nil
	}
	if err != nil {
		c.syntax(err)
		return nil
	}
	h, ok := c.header(r, rec)
	if !ok {
		return nil
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Line: 1, Column: 1}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if errors.Is(err, csv.ErrFieldCount) {
			line, _ := r.FieldPos(0)
			c.rowErrorf(line, 1, "%d fields, the header has %d: a row has one field per column (quote a cell with a comma in it)", len(rec), len(h.cols))
			continue
		}
		if err != nil {
			c.syntax(err)
			return nil // the rest of the file cannot be read reliably
		}
		if len(seq.Content) == maxDevicesFileRows {
			line, _ := r.FieldPos(0)
			c.errorf(line, 1, "more than %d devices", maxDevicesFileRows)
			return nil
		}
		seq.Content = append(seq.Content, c.row(r, h, rec, data))
	}
	return seq
}

// syntax records a CSV syntax error at its position.
func (c *csvFile) syntax(err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		c.errorf(pe.Line, pe.Column, "invalid CSV: %s", pe.Err)
		return
	}
	c.errorf(0, 0, "invalid CSV: %s", err)
}

// header checks the header row: known columns, each once, and the
// required ones.
func (c *csvFile) header(r *csv.Reader, rec []string) (csvHeader, bool) {
	known := csvColumns()
	before := len(c.errs)
	h := csvHeader{cols: make([]string, len(rec))}
	seen := map[string]int{}
	for i, cell := range rec {
		line, col := r.FieldPos(i)
		name := strings.TrimSpace(cell)
		h.cols[i] = name
		switch first, dup := seen[name]; {
		case !slices.Contains(known, name):
			c.errorf(line, col, "unknown column %q (columns: %s)%s", clip(name), strings.Join(known, ", "), suggest.Hint(name, known))
		case dup:
			c.errorf(line, col, "column %q is given twice (also column %d)", name, first+1)
		default:
			seen[name] = i
		}
	}
	line, _ := r.FieldPos(0)
	for _, name := range csvRequired {
		if _, ok := seen[name]; !ok {
			c.errorf(line, 1, "the header has no column %q, which every device needs", name)
		}
	}
	return h, len(c.errs) == before
}

// row turns one record into a device mapping. An empty cell gives no
// value (the device takes the default).
func (c *csvFile) row(r *csv.Reader, h csvHeader, rec []string, data []byte) *yaml.Node {
	line, _ := r.FieldPos(0)
	dev := &yaml.Node{Kind: yaml.MappingNode, Line: line, Column: 1}
	for i, raw := range rec {
		fline, fcol := r.FieldPos(i)
		cell, off := trimSpan(raw)
		if cell == "" {
			continue
		}
		at := cellPos{line: fline, col: fcol, off: off, exact: !strings.ContainsAny(raw, "\n\"")}
		if at.exact && quotedAt(data, fline, fcol) {
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

// quotedAt reports whether the field at line and column of data starts
// with a quote.
func quotedAt(data []byte, line, col int) bool {
	start := 0
	for range line - 1 {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			return false
		}
		start += i + 1
	}
	i := start + col - 1
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
