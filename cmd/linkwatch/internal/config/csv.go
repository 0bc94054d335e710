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
	starts := lineStarts(data)
	for n := 0; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if n == maxDevicesFileRows {
			line, _ := r.FieldPos(0)
			c.errorf(line, 1, "more than %d devices", maxDevicesFileRows)
			return nil
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
		seq.Content = append(seq.Content, c.row(r, h, rec, data, starts))
	}
	return seq
}

// lineStarts are the offsets in data at which its lines start.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
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
	if len(rec) > len(known) {
		line, _ := r.FieldPos(0)
		c.errorf(line, 1, "%d columns: a device has at most %d (%s)", len(rec), len(known), strings.Join(known, ", "))
		return csvHeader{}, false
	}
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
