// Package ordered is the sorted, copy-on-write map that crdtkit's sets and
// maps keep their elements in.
//
// A [Map] is a B-tree (github.com/tidwall/btree) of key-value entries in the
// canonical order of [payload.Compare]. Three properties make it the right
// container for CRDT states that must cost in proportion to a change, not
// to the state:
//
//   - [Map.Clone] is O(1): the copy shares the tree, and whichever side
//     writes first copies only the nodes on its path.
//   - Iteration is in canonical order, so a payload is written in one pass
//     with no sort, and a decoder that reads sorted input appends in O(1)
//     per entry ([Map.Load]).
//   - [Join] merges two maps by walking both in order and appending to a
//     new tree: linear in their sizes, with no hashing and no lookups. For a
//     small argument, point updates with [Map.Get] and [Map.Set] cost
//     O(log n) each; [PreferJoin] says which of the two is cheaper.
//
// The zero Map is empty and ready to use. A Map is not safe for concurrent
// use, but a clone may be read by another goroutine while the original is
// changed: a write never changes a node that a clone shares.
package ordered

import (
	"iter"
	"math/bits"
	"sync"

	"github.com/tidwall/btree"

	"github.com/crdtkit/crdtkit/payload"
)

// degree is the B-tree's degree: nodes hold up to 2*degree-1 entries. Wider
// nodes make lookups shallower and in-order walks faster; 32 is the
// library's default and measured best for 14-byte string keys.
const degree = 32

type entry[K comparable, V any] struct {
	key K
	val V
}

// Map is an ordered map from K to V; see the package documentation.
type Map[K comparable, V any] struct {
	t    *btree.BTreeG[entry[K, V]]
	less func(a, b K) bool // nil: payload.Less[K]
}

// WithLess returns an empty map ordered by less instead of
// [payload.Compare]. less must be a strict total order on K.
func WithLess[K comparable, V any](less func(a, b K) bool) Map[K, V] {
	return Map[K, V]{less: less}
}

func (m *Map[K, V]) tree() *btree.BTreeG[entry[K, V]] {
	if m.t == nil {
		less := m.less
		if less == nil {
			less = payload.Less[K]()
			m.less = less
		}
		m.t = btree.NewBTreeGOptions(func(a, b entry[K, V]) bool { return less(a.key, b.key) },
			btree.Options{Degree: degree, NoLocks: true})
	}
	return m.t
}

// Len returns the number of entries.
func (m *Map[K, V]) Len() int {
	if m.t == nil {
		return 0
	}
	return m.t.Len()
}

// Get returns the value of k and whether k is present.
func (m *Map[K, V]) Get(k K) (V, bool) {
	if m.t == nil {
		var zero V
		return zero, false
	}
	e, ok := m.t.Get(entry[K, V]{key: k})
	return e.val, ok
}

// Has reports whether k is present.
func (m *Map[K, V]) Has(k K) bool {
	_, ok := m.Get(k)
	return ok
}

// Set makes v the value of k and reports whether k was present before.
func (m *Map[K, V]) Set(k K, v V) (replaced bool) {
	_, replaced = m.tree().Set(entry[K, V]{key: k, val: v})
	return replaced
}

// Load is Set for entries that come in ascending key order, as a decoder of
// a canonical payload or [Join] produces them: an entry beyond the largest
// key is appended without a search. Entries out of order are still placed
// correctly, at the cost of a Set. It reports whether k was present.
func (m *Map[K, V]) Load(k K, v V) (replaced bool) {
	_, replaced = m.tree().Load(entry[K, V]{key: k, val: v})
	return replaced
}

// Delete removes k and returns its value and whether it was present.
func (m *Map[K, V]) Delete(k K) (V, bool) {
	if m.t == nil {
		var zero V
		return zero, false
	}
	e, ok := m.t.Delete(entry[K, V]{key: k})
	return e.val, ok
}

// Clone returns a copy of m in O(1). Values are copied as Go copies them
// (shallowly); the two maps then change independently.
//
// Clone counts as a read of m: goroutines may clone and read one map at the
// same time (a state shared by readers), though none may write it.
func (m *Map[K, V]) Clone() Map[K, V] {
	if m.t == nil || m.t.Len() == 0 {
		return Map[K, V]{less: m.less}
	}
	// The B-tree's Copy gives the source a new isolation id so that its
	// next write copies the shared nodes; that is a write to the source,
	// which copyMu serialises. Reads of the source never look at the id.
	copyMu.Lock()
	t := m.t.Copy()
	copyMu.Unlock()
	return Map[K, V]{t: t, less: m.less}
}

// copyMu serialises the bookkeeping write of every Clone.
var copyMu sync.Mutex

// All returns the entries in ascending key order. The map must not change
// during the iteration.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if m.t == nil {
			return
		}
		m.t.Scan(func(e entry[K, V]) bool { return yield(e.key, e.val) })
	}
}

// Keys returns the keys in ascending order. The map must not change during
// the iteration.
func (m *Map[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		if m.t == nil {
			return
		}
		m.t.Scan(func(e entry[K, V]) bool { return yield(e.key) })
	}
}

// Range returns the entries with lo <= key <= hi in ascending order, in
// O(log n) plus the number of entries returned. The map must not change
// during the iteration.
func (m *Map[K, V]) Range(lo, hi K) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if m.t == nil {
			return
		}
		less := m.less
		m.t.Ascend(entry[K, V]{key: lo}, func(e entry[K, V]) bool {
			if less(hi, e.key) {
				return false
			}
			return yield(e.key, e.val)
		})
	}
}

// Min returns the smallest key and its value; ok is false if m is empty.
func (m *Map[K, V]) Min() (k K, v V, ok bool) {
	if m.t == nil {
		return k, v, false
	}
	e, ok := m.t.Min()
	return e.key, e.val, ok
}

// Max returns the largest key and its value; ok is false if m is empty.
func (m *Map[K, V]) Max() (k K, v V, ok bool) {
	if m.t == nil {
		return k, v, false
	}
	e, ok := m.t.Max()
	return e.key, e.val, ok
}

// Side says which of the two maps given to [Join] hold a key.
type Side uint8

// The sides of a key in [Join].
const (
	OnlyA Side            = 1 << iota // the key is in a only
	OnlyB                             // the key is in b only
	Both  = OnlyA | OnlyB             // the key is in both
)

// Join returns a new map built from a walk of a and b in key order: for
// every key of either map, f receives the key, its values (the zero value on
// a side that lacks it) and the side that holds it, and returns the key's
// value in the result, or keep=false to leave the key out. The first error
// from f stops the walk and is returned, with an empty map. a and b are not
// changed. The cost is O(len(a) + len(b)) calls of f and no lookups; the
// result is built by appending.
//
// a and b must have the same order.
func Join[K comparable, V any](a, b *Map[K, V], f func(k K, va, vb V, side Side) (v V, keep bool, err error)) (Map[K, V], error) {
	out := Map[K, V]{less: a.less}
	if out.less == nil {
		out.less = b.less
	}
	t := out.tree()
	less := out.less
	var ia, ib btree.IterG[entry[K, V]]
	okA, okB := false, false
	if a.t != nil {
		ia = a.t.Iter()
		defer ia.Release()
		okA = ia.First()
	}
	if b.t != nil {
		ib = b.t.Iter()
		defer ib.Release()
		okB = ib.First()
	}
	var zero V
	for okA || okB {
		var (
			k      K
			va, vb V
			side   Side
		)
		switch {
		case !okB || okA && less(ia.Item().key, ib.Item().key):
			e := ia.Item()
			k, va, vb, side = e.key, e.val, zero, OnlyA
			okA = ia.Next()
		case !okA || less(ib.Item().key, ia.Item().key):
			e := ib.Item()
			k, va, vb, side = e.key, zero, e.val, OnlyB
			okB = ib.Next()
		default:
			ea, eb := ia.Item(), ib.Item()
			k, va, vb, side = ea.key, ea.val, eb.val, Both
			okA, okB = ia.Next(), ib.Next()
		}
		v, keep, err := f(k, va, vb, side)
		if err != nil {
			return Map[K, V]{less: out.less}, err
		}
		if keep {
			t.Load(entry[K, V]{key: k, val: v})
		}
	}
	return out, nil
}

// PreferJoin reports whether folding m entries into a map of n entries is
// cheaper with [Join] (O(n+m), appending) than with m point updates
// (O(m log n), each a search and a copy of the path it changes). Measured on
// string keys, a point update costs about as much as appending log2(n)/4
// entries.
func PreferJoin(n, m int) bool {
	if n == 0 {
		return true
	}
	depth := bits.Len(uint(n)) // about log2(n)
	return m*depth > 4*(n+m)
}

// Insert adds k with value v if k is absent and reports whether it did; a
// present key is left as it was. Keys inserted in ascending order are
// appended without a search, as by [Map.Load].
func (m *Map[K, V]) Insert(k K, v V) (added bool) {
	t := m.tree()
	if last, ok := t.Max(); !ok || m.less(last.key, k) {
		t.Load(entry[K, V]{key: k, val: v})
		return true
	}
	if _, ok := t.Get(entry[K, V]{key: k}); ok {
		return false
	}
	t.Set(entry[K, V]{key: k, val: v})
	return true
}
