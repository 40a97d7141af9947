package causal

import (
	"fmt"
	"iter"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/ordered"
)

// Store is a dot store: a map from keys to the non-empty [Slots] of the
// updates that made them present, each slot with its payload P. It is the
// state of an add-wins set ([DotMap], P empty) and of an observed-remove map
// (P the key's value as of each update), joined together with the [Context]
// it lives beside, see [Store.Join].
//
// Keys are kept in the order of payload.Compare in a copy-on-write B-tree,
// with an index from every dot to its key. So:
//
//   - [Store.Clone] is O(1), and the clone and the original change
//     independently;
//   - [Store.All] and [Store.Keys] run in canonical order without sorting;
//   - [Store.Join] of a delta costs O(k log n) for a delta of k keys and
//     dots into a store of n keys: it looks up the keys the delta names, and
//     finds the keys the delta's context removed through the index, never by
//     scanning the store. A join of two large stores walks both in order
//     instead, in O(n + m).
//
// The index is built on first use (a join, or [Store.Owner]) and kept up to
// date from then on, so a store that is decoded and only read never pays for
// it.
//
// The zero Store is empty and ready to use. A Store is not safe for
// concurrent use, but a clone may be read by another goroutine while the
// original changes.
type Store[K comparable, P any] struct {
	keys  ordered.Map[K, Slots[P]]
	index ordered.Map[Dot, K] // dot -> its key; valid only if indexed
	// indexed reports whether index is built. Until it is, changes leave it
	// alone; building it sorts every dot once.
	indexed bool
}

// DotMap is a [Store] without payloads: keys to the dots of the updates that
// made them present, the state of an add-wins set.
type DotMap[K comparable] = Store[K, struct{}]

func dotLess(a, b Dot) bool {
	if a.Replica != b.Replica {
		return a.Replica < b.Replica
	}
	return a.Counter < b.Counter
}

// ix returns the index, building it first if needed.
func (m *Store[K, P]) ix() *ordered.Map[Dot, K] {
	if !m.indexed {
		m.index = indexOf(&m.keys)
		m.indexed = true
	}
	return &m.index
}

// indexOf returns the index of the dots of keys, which it only reads: every
// dot sorted once, then appended.
func indexOf[K comparable, P any](keys *ordered.Map[K, Slots[P]]) ordered.Map[Dot, K] {
	type owned struct {
		d Dot
		k K
	}
	all := make([]owned, 0, keys.Len())
	for k, s := range keys.All() {
		for d := range s.All() {
			all = append(all, owned{d, k})
		}
	}
	slices.SortFunc(all, func(a, b owned) int { return a.d.Compare(b.d) })
	ix := ordered.WithLess[Dot, K](dotLess)
	for _, o := range all {
		ix.Load(o.d, o.k)
	}
	return ix
}

// Len returns the number of keys.
func (m *Store[K, P]) Len() int { return m.keys.Len() }

// Get returns the slots of k; ok is false (and the slots empty) if k is
// absent.
func (m *Store[K, P]) Get(k K) (slots Slots[P], ok bool) { return m.keys.Get(k) }

// Has reports whether k is present.
func (m *Store[K, P]) Has(k K) bool { return m.keys.Has(k) }

// Owner returns the key whose slots hold dot d; ok is false if no key does.
// The first call builds the dot index (O(n log n)); later calls are
// O(log n).
func (m *Store[K, P]) Owner(d Dot) (k K, ok bool) {
	if m.keys.Len() == 0 {
		return k, false
	}
	return m.ix().Get(d)
}

// Set makes slots the slots of k, or removes k when slots is empty.
func (m *Store[K, P]) Set(k K, slots Slots[P]) {
	var old Slots[P]
	if slots.IsEmpty() {
		old, _ = m.keys.Delete(k)
	} else {
		old, _ = m.keys.Get(k)
		m.keys.Set(k, slots)
	}
	if m.indexed {
		m.reindex(k, old, slots)
	}
}

// reindex moves the index of key k from the dots of old to those of now.
func (m *Store[K, P]) reindex(k K, old, now Slots[P]) {
	for d := range old.All() {
		if !now.Contains(d) {
			m.index.Delete(d)
		}
	}
	for d := range now.All() {
		if !old.Contains(d) {
			m.index.Set(d, k)
		}
	}
}

// Put makes slots, which must not be empty, the slots of k if k is absent,
// and reports whether it did; a present key is left as it was. Decoders use
// it to insert and detect a duplicate key with one search, or none when the
// keys come in canonical order.
func (m *Store[K, P]) Put(k K, slots Slots[P]) (added bool) {
	if !m.keys.Insert(k, slots) {
		return false
	}
	if m.indexed {
		m.reindex(k, Slots[P]{}, slots)
	}
	return true
}

// Delete removes k and returns the slots it had.
func (m *Store[K, P]) Delete(k K) Slots[P] {
	old, ok := m.keys.Delete(k)
	if ok && m.indexed {
		m.reindex(k, old, Slots[P]{})
	}
	return old
}

// All returns the keys and their slots in the order of payload.Compare. The
// store must not change during the iteration.
func (m *Store[K, P]) All() iter.Seq2[K, Slots[P]] { return m.keys.All() }

// Keys returns the keys in the order of payload.Compare. The store must not
// change during the iteration.
func (m *Store[K, P]) Keys() iter.Seq[K] { return m.keys.Keys() }

// Clone returns a copy of m in O(1). Slots are immutable, so the copy is as
// independent as a deep copy, but payloads are shared: a store whose
// payloads are mutable must copy a payload before changing it.
func (m *Store[K, P]) Clone() Store[K, P] {
	return Store[K, P]{keys: m.keys.Clone(), index: m.index.Clone(), indexed: m.indexed}
}

// Equal reports whether m and o have the same keys with the same dots.
// Payloads are not compared.
func (m *Store[K, P]) Equal(o *Store[K, P]) bool {
	if m.keys.Len() != o.keys.Len() {
		return false
	}
	_, err := ordered.Join(&m.keys, &o.keys, func(_ K, s, t Slots[P], side ordered.Side) (Slots[P], bool, error) {
		if side != ordered.Both || !s.Equal(t) {
			return s, false, errUnequal
		}
		return s, false, nil
	})
	return err == nil
}

var errUnequal = fmt.Errorf("causal: unequal")

// ConflictError reports one dot bound to different keys on the two sides of
// a join: two replica instances made different updates under the same dot,
// which happens only when they share a replica id (a fresh state or a clone
// used under an existing replica's id). Joining would lose one of the
// updates, so the join is refused. It wraps [crdt.ErrConflict].
type ConflictError struct {
	Dot   Dot    // the dot both sides used
	Here  string // the key it names in the receiver, as fmt's %v prints it
	There string // the key it names in the argument
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: dot %s names key %s here and key %s in the other state: two replica instances share the replica id %q",
		crdt.ErrConflict, e.Dot, e.Here, e.There, e.Dot.Replica)
}

// Unwrap returns [crdt.ErrConflict].
func (e *ConflictError) Unwrap() error { return crdt.ErrConflict }

func conflict[K comparable](d Dot, here, there K) error {
	return &ConflictError{Dot: d, Here: fmt.Sprintf("%v", here), There: fmt.Sprintf("%v", there)}
}

// Join joins o, whose context is co, into m, whose context is ca: each key
// keeps the [Join] of its slots on both sides, and keys left without slots
// disappear. Slots taken from o share their payloads with o; see
// [Store.JoinWith] to copy them. ca must be m's context as it was before the
// join; merge co into ca only after Join returns:
//
//	if err := m.Join(ca, o, co); err != nil { ... }
//	ca.Merge(co)
//
// It returns a [*ConflictError] (wrapping [crdt.ErrConflict]) and leaves m
// unchanged if a dot names one key in m and another in o.
//
// Cost: for a small o (a delta), O((k + r) log n), where k is the number of
// o's keys and r the number of m's dots that co has seen; the keys that o
// removed are found through the dot index. For an o of a size comparable to
// m, one ordered walk of both, O(n + k).
func (m *Store[K, P]) Join(ca *Context, o *Store[K, P], co *Context) error {
	return m.JoinWith(ca, o, co, nil)
}

// JoinWith is [Store.Join] where every slot taken from o gets the payload
// adopt returns for o's payload (for a map, a copy of the value bound to
// the receiver's replica). An error from adopt is returned, and m is then
// unchanged.
func (m *Store[K, P]) JoinWith(ca *Context, o *Store[K, P], co *Context, adopt func(P) (P, error)) error {
	if o == m || o.keys.Len() == 0 && co.IsEmpty() {
		return nil
	}
	j := joiner[K, P]{m: m, o: o, la: newLookup(ca), lo: newLookup(co), co: co, adopt: adopt}
	seen := uint64(min(co.Dots(), uint64(m.keys.Len())))
	if ordered.PreferJoin(m.keys.Len(), o.keys.Len()+int(seen)) {
		return j.walk()
	}
	return j.point()
}

// joiner holds one join's inputs.
type joiner[K comparable, P any] struct {
	m, o   *Store[K, P]
	la, lo *lookup // contexts of m and o
	co     *Context
	adopt  func(P) (P, error)
	oix    *ordered.Map[Dot, K] // o's index, if o has none: built here, so that o is only read
}

// oOwner is [Store.Owner] on o without changing o.
func (j *joiner[K, P]) oOwner(d Dot) (K, bool) {
	if j.o.indexed {
		return j.o.index.Get(d)
	}
	if j.oix == nil {
		ix := indexOf(&j.o.keys)
		j.oix = &ix
	}
	return j.oix.Get(d)
}

// key joins the slots of one key, s from m and t from o, after checking that
// no dot that one side holds for this key names another key on the other
// side.
func (j *joiner[K, P]) key(k K, s, t Slots[P]) (Slots[P], error) {
	if s.more == nil && t.more == nil && s.one.Dot == t.one.Dot {
		return s, nil // the common case: both sides hold the same update
	}
	for d := range t.All() {
		// A dot of o that m has seen but does not hold here was removed
		// by m, or m holds it under another key: the mark of a reused
		// replica id.
		if !s.Contains(d) && j.la.contains(d) {
			if k2, ok := j.m.Owner(d); ok && k2 != k {
				return s, conflict(d, k2, k)
			}
		}
	}
	for d := range s.All() {
		if !t.Contains(d) && j.lo.contains(d) {
			if k2, ok := j.oOwner(d); ok && k2 != k {
				return s, conflict(d, k, k2)
			}
		}
	}
	u, err := joinSlots(s, j.la, t, j.lo, j.adopt)
	if err != nil {
		return s, fmt.Errorf("key %v: %w", k, err)
	}
	return u, nil
}

// point joins o into m by point updates: the keys of o, then the keys of m
// whose dots co has seen (found through the index), all computed before any
// is applied.
func (j *joiner[K, P]) point() error {
	m, o := j.m, j.o
	type change struct {
		k K
		u Slots[P]
	}
	var staged []change
	for k, t := range o.keys.All() {
		s, _ := m.keys.Get(k)
		u, err := j.key(k, s, t)
		if err != nil {
			return err
		}
		if !sameSlots(u, s) {
			staged = append(staged, change{k, u})
		}
	}
	if m.keys.Len() > 0 && !j.co.IsEmpty() {
		ix := m.ix()
		removed := func(d Dot, k K) error {
			if o.keys.Has(k) {
				return nil // joined above
			}
			if k2, ok := j.oOwner(d); ok {
				return conflict(d, k, k2)
			}
			s, _ := m.keys.Get(k)
			if u := s.without(j.lo); !sameSlots(u, s) {
				staged = append(staged, change{k, u})
			}
			return nil
		}
		for r, n := range j.co.vv {
			for d, k := range ix.Range(Dot{Replica: r, Counter: 1}, Dot{Replica: r, Counter: n}) {
				if err := removed(d, k); err != nil {
					return err
				}
			}
		}
		for r, rc := range j.co.cloud {
			for c := range rc {
				d := Dot{Replica: r, Counter: c}
				if k, ok := ix.Get(d); ok {
					if err := removed(d, k); err != nil {
						return err
					}
				}
			}
		}
	}
	for _, c := range staged {
		m.Set(c.k, c.u) // a key staged twice gets the same slots twice
	}
	return nil
}

// walk joins o into m by one ordered walk of both, building new keys and, if
// m has an index, applying the index changes after the walk succeeded.
func (j *joiner[K, P]) walk() error {
	m := j.m
	type moved struct {
		d Dot
		k K
	}
	var added []moved
	var dropped []Dot
	// A conflict check may build m's index during the walk, from m's keys as
	// they were before it; only an index that existed before is kept up to
	// date, a new one is dropped after the walk.
	indexed := m.indexed
	keys, err := ordered.Join(&m.keys, &j.o.keys, func(k K, s, t Slots[P], side ordered.Side) (Slots[P], bool, error) {
		if side == ordered.OnlyA && !s.anyIn(j.lo) {
			return s, true, nil // o has not seen it: kept as it is
		}
		u, err := j.key(k, s, t)
		if err != nil {
			return u, false, err
		}
		if indexed && !sameSlots(u, s) {
			for d := range s.All() {
				if !u.Contains(d) {
					dropped = append(dropped, d)
				}
			}
			for d := range u.All() {
				if !s.Contains(d) {
					added = append(added, moved{d, k})
				}
			}
		}
		return u, !u.IsEmpty(), nil
	})
	if err != nil {
		return err
	}
	m.keys = keys
	if !indexed {
		m.index, m.indexed = ordered.Map[Dot, K]{}, false
		return nil
	}
	if len(added)+len(dropped) == 0 {
		return nil
	}
	if !ordered.PreferJoin(m.index.Len(), len(added)+len(dropped)) {
		for _, d := range dropped {
			m.index.Delete(d)
		}
		for _, a := range added {
			m.index.Set(a.d, a.k)
		}
		return nil
	}
	// Many changes: merge them into the index in one ordered walk.
	slices.SortFunc(added, func(a, b moved) int { return a.d.Compare(b.d) })
	adds := ordered.WithLess[Dot, K](dotLess)
	for _, a := range added {
		adds.Load(a.d, a.k)
	}
	gone := make(map[Dot]struct{}, len(dropped))
	for _, d := range dropped {
		gone[d] = struct{}{}
	}
	m.index, _ = ordered.Join(&m.index, &adds, func(d Dot, ka, kb K, side ordered.Side) (K, bool, error) {
		if side == ordered.OnlyA {
			_, drop := gone[d]
			return ka, !drop, nil
		}
		return kb, true, nil
	})
	return nil
}

// sameSlots reports whether a and b are the same value (the same storage):
// what joinSlots returns when nothing changed.
func sameSlots[P any](a, b Slots[P]) bool {
	if a.more != nil || b.more != nil {
		return a.more == b.more
	}
	return a.one.Dot == b.one.Dot
}
