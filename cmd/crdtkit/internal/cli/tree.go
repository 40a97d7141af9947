package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/crdtkit/crdtkit/crdt"
)

// parseJSON decodes data into generic values (map[string]any, []any,
// json.Number, string, bool, nil), keeping numbers exact.
func parseJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// compact returns v's one-line JSON, without HTML escaping, for display.
func compact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// inlineWidth is the longest line of a tree node printed on one line.
const inlineWidth = 72

// writeTree prints v as an indented tree, one member or element per line,
// keeping small objects and arrays on one line.
func writeTree(w io.Writer, indent, label string, v any) {
	line := indent + label + ": " + compact(v)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 || len(line) <= inlineWidth {
			break
		}
		fmt.Fprintf(w, "%s%s:\n", indent, label)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			writeTree(w, indent+"  ", k, x[k])
		}
		return
	case []any:
		if len(x) == 0 || len(line) <= inlineWidth {
			break
		}
		fmt.Fprintf(w, "%s%s: (%d)\n", indent, label, len(x))
		for i, el := range x {
			writeTree(w, indent+"  ", fmt.Sprintf("[%d]", i), el)
		}
		return
	}
	fmt.Fprintln(w, line)
}

// plainValue returns s.Value() with every CRDT inside it, at any depth of
// maps (a Map's values, a Struct's fields), replaced by its own Value(), so
// that it encodes as JSON. ok is false if s has no Value method.
func plainValue(s crdt.State) (v any, ok bool) {
	m := reflect.ValueOf(s).MethodByName("Value")
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
		return nil, false
	}
	return plain(m.Call(nil)[0]), true
}

func plain(v reflect.Value) any {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	if s, ok := v.Interface().(crdt.State); ok {
		if p, ok := plainValue(s); ok {
			return p
		}
		return nil
	}
	if v.Kind() != reflect.Map {
		return v.Interface()
	}
	out := make(map[string]any, v.Len())
	for it := v.MapRange(); it.Next(); {
		out[keyString(it.Key())] = plain(it.Value())
	}
	return out
}

// keyString is the JSON object key of a map key: a string as it is, any
// other key as its JSON encoding.
func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	b, err := json.Marshal(k.Interface())
	if err != nil {
		return fmt.Sprint(k.Interface())
	}
	return string(b)
}

// valueJSON returns the generic JSON form of s's value.
func valueJSON(s crdt.State) (any, bool) {
	v, ok := plainValue(s)
	if !ok {
		return nil, false
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	g, err := parseJSON(b.Bytes())
	if err != nil {
		return nil, false
	}
	return g, true
}

// A difference between two JSON trees at path: only in A (inB false), only
// in B (inA false), or in both with different values.
type difference struct {
	path     string
	a, b     any
	inA, inB bool
}

// identityFields are the members that name an element of a payload array:
// a map entry's key, a set element, a replica of a counter or a context, a
// register sibling's value.
var identityFields = []string{"key", "e", "elem", "r", "value", "dot"}

// diffJSON appends the differences between a and b, which are generic
// JSON values, to out. Objects are compared member by member. Arrays are
// compared as sets, as canonical payloads use them: arrays of objects match
// their elements by the first identity field that every element has and no
// two elements of an array share, other arrays by whole elements. Arrays
// that contain arrays (such as ITC events) are compared as wholes.
func diffJSON(path string, a, b any, out *[]difference) {
	if compact(a) == compact(b) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(x)+len(y))
		for k := range x {
			keys = append(keys, k)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			va, inA := x[k]
			vb, inB := y[k]
			p := joinField(path, k)
			if inA && inB {
				diffJSON(p, va, vb, out)
			} else {
				*out = append(*out, difference{path: p, a: va, b: vb, inA: inA, inB: inB})
			}
		}
		return
	case []any:
		y, ok := b.([]any)
		if !ok || hasArray(x) || hasArray(y) {
			break
		}
		diffArrays(path, x, y, out)
		return
	}
	*out = append(*out, difference{path: path, a: a, b: b, inA: true, inB: true})
}

func joinField(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func hasArray(xs []any) bool {
	for _, x := range xs {
		if _, ok := x.([]any); ok {
			return true
		}
	}
	return false
}

func diffArrays(path string, x, y []any, out *[]difference) {
	field := identityField(x, y)
	id := func(el any) string {
		if field == "" {
			return compact(el)
		}
		return compact(el.(map[string]any)[field])
	}
	label := func(k string) string {
		switch {
		case field == "" && path == "":
			return "element " + k
		case field == "":
			return path + "[]"
		}
		return path + "[" + field + "=" + k + "]"
	}
	inY := make(map[string]any, len(y))
	for _, el := range y {
		inY[id(el)] = el
	}
	inX := make(map[string]bool, len(x))
	for _, el := range x {
		k := id(el)
		inX[k] = true
		if other, ok := inY[k]; ok {
			if field != "" {
				diffJSON(label(k), el, other, out)
			}
			continue
		}
		*out = append(*out, difference{path: label(k), a: el, inA: true})
	}
	for _, el := range y {
		if k := id(el); !inX[k] {
			*out = append(*out, difference{path: label(k), b: el, inB: true})
		}
	}
}

// identityField returns the identity field shared by the elements of x and
// y, or "" if there is none.
func identityField(x, y []any) string {
	for _, f := range identityFields {
		if uniqueField(x, f) && uniqueField(y, f) {
			return f
		}
	}
	return ""
}

func uniqueField(xs []any, f string) bool {
	seen := make(map[string]bool, len(xs))
	for _, x := range xs {
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[f]
		if !ok {
			return false
		}
		k := compact(v)
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// writeDifferences prints the differences, one per line, under a heading.
func writeDifferences(w io.Writer, heading string, ds []difference) {
	fmt.Fprintf(w, "%s:\n", heading)
	if len(ds) == 0 {
		fmt.Fprintln(w, "  (no difference)")
		return
	}
	for _, d := range ds {
		p := d.path
		if p == "" {
			p = "(whole)"
		}
		element := strings.HasPrefix(p, "element ")
		switch {
		case !d.inB && element:
			fmt.Fprintf(w, "  only in A  %s\n", p)
		case !d.inA && element:
			fmt.Fprintf(w, "  only in B  %s\n", p)
		case !d.inB:
			fmt.Fprintf(w, "  only in A  %s: %s\n", p, compact(d.a))
		case !d.inA:
			fmt.Fprintf(w, "  only in B  %s: %s\n", p, compact(d.b))
		default:
			fmt.Fprintf(w, "  changed    %s: A %s, B %s\n", p, compact(d.a), compact(d.b))
		}
	}
}
