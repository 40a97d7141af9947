package causal

import (
	"iter"
	"maps"
)

// DotMap is a dot store mapping keys to the non-empty [DotSet] of the
// updates that made them present: the state of an add-wins set (an element
// is present while it has a dot) and the key presence of an observed-remove
// map. It is joined together with the [Context] it lives beside, see
// [DotMap.Join].
//
// The zero DotMap is empty and ready to use. A DotMap is not safe for
// concurrent use.
type DotMap[K comparable] struct {
	m map[K]DotSet
}

// NewDotMap returns an empty DotMap with room for n keys.
func NewDotMap[K comparable](n int) DotMap[K] {
	return DotMap[K]{m: make(map[K]DotSet, n)}
}

// Len returns the number of keys.
func (m *DotMap[K]) Len() int { return len(m.m) }

// Get returns the dots of k; ok is false (and the set empty) if k is absent.
func (m *DotMap[K]) Get(k K) (dots DotSet, ok bool) {
	dots, ok = m.m[k]
	return dots, ok
}

// Has reports whether k is present.
func (m *DotMap[K]) Has(k K) bool {
	_, ok := m.m[k]
	return ok
}

// Set makes dots the dots of k, or removes k when dots is empty.
func (m *DotMap[K]) Set(k K, dots DotSet) {
	if dots.IsEmpty() {
		delete(m.m, k)
		return
	}
	if m.m == nil {
		m.m = make(map[K]DotSet)
	}
	m.m[k] = dots
}

// Put makes dots, which must not be empty, the dots of k, and reports
// whether k was absent before. Decoders use it to insert and detect a
// duplicate key with one map operation.
func (m *DotMap[K]) Put(k K, dots DotSet) (added bool) {
	if m.m == nil {
		m.m = make(map[K]DotSet)
	}
	n := len(m.m)
	m.m[k] = dots
	return len(m.m) > n
}

// Delete removes k and returns the dots it had.
func (m *DotMap[K]) Delete(k K) DotSet {
	dots, ok := m.m[k]
	if ok {
		delete(m.m, k)
	}
	return dots
}

// All returns the keys and their dots in no particular order.
func (m *DotMap[K]) All() iter.Seq2[K, DotSet] { return maps.All(m.m) }

// Keys returns the keys in no particular order.
func (m *DotMap[K]) Keys() iter.Seq[K] { return maps.Keys(m.m) }

// Clone returns a copy of m. (Dot sets are immutable, so the copy is as
// independent as a deep copy.)
func (m *DotMap[K]) Clone() DotMap[K] {
	if len(m.m) == 0 {
		return DotMap[K]{}
	}
	return DotMap[K]{m: maps.Clone(m.m)}
}

// Equal reports whether m and o have the same keys with the same dots.
func (m *DotMap[K]) Equal(o *DotMap[K]) bool {
	if len(m.m) != len(o.m) {
		return false
	}
	for k, s := range m.m {
		t, ok := o.m[k]
		if !ok || !s.Equal(t) {
			return false
		}
	}
	return true
}

// Join joins o, whose context is co, into m, whose context is ca: each key
// keeps the [Join] of its dot sets on both sides, and keys left without dots
// disappear. ca must be m's context as it was before the join; merge co into
// ca only after Join returns:
//
//	m.Join(ca, o, co)
//	ca.Merge(co)
//
// Nothing of o is kept. The cost is one pass over m with a context lookup
// per dot, and one map lookup per key of o; only when co shows that o
// removed keys that m holds does a second pass over m look them up in o.
func (m *DotMap[K]) Join(ca *Context, o *DotMap[K], co *Context) {
	if o == m || len(o.m) == 0 && co.IsEmpty() {
		return
	}
	la, lo := newLookup(ca), newLookup(co)

	// A key of m whose dots co has not seen survives whatever o holds.
	// Count the others: each is either in o too (joined below) or was
	// removed by o.
	seen := 0
	for _, s := range m.m {
		if s.anyIn(lo) {
			seen++
		}
	}
	if m.m == nil {
		m.m = make(map[K]DotSet, len(o.m))
	}
	for k, t := range o.m {
		s, ok := m.m[k]
		if !ok {
			if u := t.without(la); !u.IsEmpty() {
				m.m[k] = u.clone()
			}
			continue
		}
		if s.more == nil && t.more == nil && s.one == t.one {
			seen-- // the common case: both sides hold the same add
			continue
		}
		if s.anyIn(lo) {
			seen--
		}
		if u := join(s, la, t, lo); u.IsEmpty() {
			delete(m.m, k)
		} else {
			m.m[k] = u // join shares no storage with t
		}
	}
	if seen == 0 {
		return
	}
	// Keys only in m that o removed: drop the dots co has seen. Keys
	// that came from o or were joined above are in o and are skipped.
	for k, s := range m.m {
		if !s.anyIn(lo) {
			continue
		}
		if _, ok := o.m[k]; ok {
			continue
		}
		if t := s.without(lo); t.IsEmpty() {
			delete(m.m, k)
		} else {
			m.m[k] = t
		}
	}
}
