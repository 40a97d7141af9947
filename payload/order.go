package payload

import (
	"bytes"
	"cmp"
	"slices"

	json "github.com/goccy/go-json"
)

// Compare is a deterministic total order on set elements, used to write them
// in canonical order. Strings, integers and floats compare by value; a type
// with a method Compare(T) int uses it; any other type compares by its
// canonical JSON encoding. Elements must round-trip through JSON to an equal
// value for payloads to be canonical.
func Compare[T comparable](a, b T) int {
	switch x := any(a).(type) {
	case string:
		return cmp.Compare(x, any(b).(string))
	case int:
		return cmp.Compare(x, any(b).(int))
	case int64:
		return cmp.Compare(x, any(b).(int64))
	case int32:
		return cmp.Compare(x, any(b).(int32))
	case uint64:
		return cmp.Compare(x, any(b).(uint64))
	case uint32:
		return cmp.Compare(x, any(b).(uint32))
	case uint:
		return cmp.Compare(x, any(b).(uint))
	case float64:
		return cmp.Compare(x, any(b).(float64))
	case interface{ Compare(T) int }:
		return x.Compare(b)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Compare(ja, jb)
}

// SortElements sorts xs in the order of [Compare]. For elements ordered by
// their JSON encoding it encodes each element once, not once per comparison.
func SortElements[T comparable](xs []T) {
	if len(xs) < 2 {
		return
	}
	// Common element types sort without calling Compare, whose conversions
	// to interfaces cost an allocation per comparison. slices.Sort orders
	// these types exactly as cmp.Compare does (NaN first for floats).
	switch s := any(xs).(type) {
	case []string:
		slices.Sort(s)
		return
	case []int:
		slices.Sort(s)
		return
	case []int64:
		slices.Sort(s)
		return
	case []int32:
		slices.Sort(s)
		return
	case []uint64:
		slices.Sort(s)
		return
	case []uint32:
		slices.Sort(s)
		return
	case []uint:
		slices.Sort(s)
		return
	case []float64:
		slices.Sort(s)
		return
	}
	if _, ok := any(xs[0]).(interface{ Compare(T) int }); ok {
		slices.SortFunc(xs, Compare[T])
		return
	}
	type keyed struct {
		key []byte
		x   T
	}
	ks := make([]keyed, len(xs))
	for i, x := range xs {
		k, _ := json.Marshal(x)
		ks[i] = keyed{k, x}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return bytes.Compare(a.key, b.key) })
	for i := range ks {
		xs[i] = ks[i].x
	}
}

// Less returns the strict order of [Compare] as a function, chosen once for
// T: for strings and integers it compares directly, without the per-call
// type switch of Compare. Ordered containers of elements use it.
func Less[T comparable]() func(a, b T) bool {
	var f any
	switch any(*new(T)).(type) {
	case string:
		f = func(a, b string) bool { return a < b }
	case int:
		f = func(a, b int) bool { return a < b }
	case int64:
		f = func(a, b int64) bool { return a < b }
	case int32:
		f = func(a, b int32) bool { return a < b }
	case uint64:
		f = func(a, b uint64) bool { return a < b }
	case uint32:
		f = func(a, b uint32) bool { return a < b }
	case uint:
		f = func(a, b uint) bool { return a < b }
	case float64:
		f = func(a, b float64) bool { return cmp.Less(a, b) }
	default:
		return func(a, b T) bool { return Compare(a, b) < 0 }
	}
	return f.(func(a, b T) bool)
}
