package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/linkwatch/linkwatch/internal/suggest"
)

// decoder walks a yaml.Node tree into Go values by their yaml tags. Unlike
// yaml.v3's own decoding it does not stop at the first problem: it records
// every one with its position and path, and remembers the node of every
// path it decoded so that later validation can point at the same place.
type decoder struct {
	file  string
	errs  Errors
	nodes map[string]*yaml.Node
	// src is the file being decoded: file, or the devices file, whose
	// nodes are listed in srcOf.
	src   string
	srcOf map[string]string
	bad   map[string]bool // paths whose value could not be decoded
	// Aliases make the work grow faster than the file ("billion laughs"):
	// work counts the values and keys visited, aliases followed included,
	// and decoding stops once it passes budget.
	work, budget int
	overBudget   bool
}

// Aliases may make the decoder visit at most aliasFactor times as many
// keys and values as the file holds, or minBudget for a smaller file. The
// schema does not nest, so aliases multiply at most devices by targets;
// sharing one list of targets among a few hundred devices fits, while a
// file of a thousand aliases to a device with a thousand targets fails
// after minBudget cheap steps instead of decoding a million targets.
const (
	aliasFactor = 10
	minBudget   = 100000
)

func newDecoder(file string) *decoder {
	return &decoder{file: file, src: file, nodes: map[string]*yaml.Node{}, srcOf: map[string]string{}, bad: map[string]bool{}}
}

// given reports whether the file gives a value (null included) at path.
func (d *decoder) given(path string) bool {
	_, ok := d.nodes[path]
	return ok
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	targetType   = reflect.TypeFor[rawTarget]()
)

// decodeFile parses data and decodes its first document into out, which
// holds the defaults on entry.
func (d *decoder) decodeFile(data []byte, out any) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d.errs = append(d.errs, syntaxError(d.file, err))
		return
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return // an empty file: every default
	}
	d.budget = max(aliasFactor*countNodes(&doc), minBudget)
	d.decode(doc.Content[0], "", reflect.ValueOf(out).Elem())
}

// countNodes counts the nodes of a parsed tree, not following aliases.
func countNodes(n *yaml.Node) int {
	c := 1
	for _, child := range n.Content {
		c += countNodes(child)
	}
	return c
}

// spend counts one step of work at n and reports whether the budget
// allows it. The first step over budget records the problem; decoding
// then unwinds without doing more.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	if d.overBudget {
		return false
	}
	d.work++
	if d.work <= d.budget {
		return true
	}
	d.overBudget = true
	d.errorf(n, path, "too many alias expansions: aliases may not expand the file beyond %d values (%d times its size, at least %d)",
		d.budget, aliasFactor, minBudget)
	return false
}

// errorf records a problem at n's position, in the file being decoded.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.add(d.src, n, path, fmt.Sprintf(format, args...))
}

// add records a problem at n's position in file. A problem of a devices
// file is shown with the path within its row: the row is the line.
func (d *decoder) add(file string, n *yaml.Node, path, msg string) {
	e := Error{File: file, Path: path, Msg: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	if file != d.file {
		e.Path = rowPath(path)
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if !d.spend(n, path) {
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.nodes[path] = n
	if d.src != d.file {
		d.srcOf[path] = d.src
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // a key with no value keeps its default
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, path, v)
	case v.Type() == targetType && n.Kind == yaml.ScalarNode:
		// A bare string target is its address.
		d.decode(n, join(path, "address"), v.FieldByName("Address"))
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, path, v.Elem())
	case v.Kind() == reflect.Struct:
		d.structure(n, path, v)
	case v.Kind() == reflect.Map:
		d.mapping(n, path, v)
	case v.Kind() == reflect.Slice:
		d.sequence(n, path, v)
	case v.Kind() == reflect.String:
		if d.expect(n, path, yaml.ScalarNode, "a string") {
			v.SetString(n.Value)
		}
	case v.Kind() == reflect.Int:
		d.integer(n, path, v)
	case v.Kind() == reflect.Bool:
		d.boolean(n, path, v)
	default:
		panic(fmt.Sprintf("config: cannot decode into %s", v.Type()))
	}
}

// fail records that the value at path could not be decoded.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.errorf(n, path, format, args...)
}

// expect reports whether n is of kind want, recording a problem if not.
// The value is not echoed: a password pasted where a mapping belongs
// (`lab: hunter2`) must not be printed.
func (d *decoder) expect(n *yaml.Node, path string, want yaml.Kind, what string) bool {
	if n.Kind == want {
		return true
	}
	got := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}[n.Kind]
	d.fail(n, path, "expected %s, got %s", what, got)
	return false
}

func (d *decoder) integer(n *yaml.Node, path string, v reflect.Value) {
	if !d.expect(n, path, yaml.ScalarNode, "a whole number") {
		return
	}
	i, err := strconv.ParseInt(n.Value, 0, 64)
	if n.Tag != "!!int" || err != nil || v.OverflowInt(i) {
		d.fail(n, path, "%q is not a whole number", n.Value)
		return
	}
	v.SetInt(i)
}

func (d *decoder) boolean(n *yaml.Node, path string, v reflect.Value) {
	if !d.expect(n, path, yaml.ScalarNode, "true or false") {
		return
	}
	switch {
	case n.Tag == "!!bool" && (n.Value == "true" || n.Value == "false"):
		v.SetBool(n.Value == "true")
	default:
		d.fail(n, path, "%q is not true or false", n.Value)
	}
}

func (d *decoder) duration(n *yaml.Node, path string, v reflect.Value) {
	if !d.expect(n, path, yaml.ScalarNode, "a duration (like 30s, 5m, 1h)") {
		return
	}
	if n.Tag == "!!int" && n.Value == "0" {
		v.SetInt(0)
		return
	}
	t, err := time.ParseDuration(n.Value)
	if n.Tag != "!!str" || err != nil {
		d.fail(n, path, "%q is not a duration (like 30s, 5m, 1h)", n.Value)
		return
	}
	v.SetInt(int64(t))
}

// keys walks the pairs of a mapping, reporting keys that are not strings
// and keys given twice, and calls fn for each of the others.
func (d *decoder) keys(n *yaml.Node, path string, fn func(k, val *yaml.Node)) {
	if !d.expect(n, path, yaml.MappingNode, "a mapping") {
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.spend(k, path) {
			return
		}
		switch line, dup := seen[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, path, "expected a key, got a %s", map[yaml.Kind]string{yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}[k.Kind])
		case dup:
			d.errorf(k, join(path, k.Value), "duplicate key %q (first at line %d)", k.Value, line)
		default:
			seen[k.Value] = k.Line
			fn(k, val)
		}
	}
}

func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	fields := fieldsOf(v.Type())
	d.keys(n, path, func(k, val *yaml.Node) {
		idx, ok := fields[k.Value]
		switch {
		case ok:
			d.decode(val, join(path, k.Value), v.FieldByIndex(idx))
		case k.Value == "password":
			d.errorf(k, join(path, k.Value), "inline passwords are not allowed: use password_env or password_file")
		case insecureKeys[k.Value]:
			d.errorf(k, join(path, k.Value), "TLS certificate verification cannot be turned off: give ca_file to trust a private CA")
		default:
			d.errorf(k, path, "unknown field %q%s", k.Value, suggest.Hint(k.Value, slices.Sorted(maps.Keys(fields))))
		}
	})
}

func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.keys(n, path, func(k, val *yaml.Node) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, join(path, k.Value), elem)
		v.SetMapIndex(reflect.ValueOf(k.Value), elem)
	})
}

func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if !d.expect(n, path, yaml.SequenceNode, "a list") {
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
	}
	v.Set(s)
}

// insecureKeys are the names other tools give a switch that turns TLS
// certificate verification off. linkwatch has no such switch; these get a
// clearer error than an unknown field.
var insecureKeys = map[string]bool{"insecure": true, "insecure_skip_verify": true, "skip_verify": true,
	"tls_skip_verify": true, "verify": true}

// fieldsOf maps the yaml key of every field of struct type t, including
// those of ",inline" fields, to its field index.
func fieldsOf(t reflect.Type) map[string][]int {
	fields := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case opts == "inline":
			for k, idx := range fieldsOf(f.Type) {
				fields[k] = append([]int{i}, idx...)
			}
		case name != "":
			fields[name] = []int{i}
		}
	}
	return fields
}

// join appends a key to a YAML path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
