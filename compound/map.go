package compound

import (
	"errors"
	"fmt"
	"iter"
	"slices"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// ErrNoValueType is returned (wrapped) when a [Map] is used without a value
// constructor, such as the zero Map.
var ErrNoValueType = errors.New("compound: map has no value constructor")

// mapProbeReplica is the replica id passed to a value constructor only to
// learn the value type's name.
const mapProbeReplica crdt.ReplicaID = "compound-map-type-probe"

// Map is an observed-remove map from keys to CRDT values of one type (a
// counter, a set, a register, a [Struct], another Map ...), add-wins on keys.
// It follows riak_dt's map and the delta-state ORMap of Almeida et al., with
// values that need no support from their type beyond the crdt contract.
//
// # State and merge
//
// The map has a causal context (package causal: every dot, that is every
// update, it has seen) and, for each present key, one or more slots: a dot
// and the key's whole value as it was when that dot's update was made.
// [Map.Update] joins the key's slots into one value, applies the change and
// stores the result under one new dot, replacing the old slots; [Map.Remove]
// drops the key's slots and keeps their dots in the context.
//
// Merge works slot by slot, with the rule of the tombstone-free OR-Set: a
// slot survives if both sides hold its dot, or if one side holds it and the
// other side's context has not seen it (its absence there is not a remove).
// A key is present while it has a surviving slot, and its value is the join
// of its surviving slots' values. Concurrent updates of one key leave one
// slot each, until the next update on any replica joins them.
//
// # Semantics, and the traps
//
//   - Add-wins: a remove drops only the slots it observed. If replica A
//     removes a key while B concurrently updates it, B's slot survives, and
//     the value that comes back is B's whole value, including what B had
//     before A's remove, not only B's concurrent change
//     (TestMapRemoveVsConcurrentUpdateKeepsWholeValue).
//   - No resurrection: a value removed on one side and not concurrently
//     updated on the other does not come back; a key removed and re-added
//     starts from a fresh value, and a replica that had not yet seen the
//     remove cannot bring the old value back, since its slots' dots are in
//     the remover's context (TestMapReAddDoesNotResurrect).
//   - No reset-remove: the remove does not subtract what it observed from a
//     concurrent update's value. Counters cannot do that exactly (a counter
//     keeps one total per replica, not one entry per increment), and the
//     map works with any value type, so it never tries. docs/maps.md
//     explains the choice.
//   - The flip side of whole values: if A removes a key and re-adds it while
//     B, which had seen A's old value, concurrently updates it, both slots
//     survive and B's value brings A's old contributions back beside A's
//     new value. For values that keep one entry per replica, the old entry
//     can hide what A did after the re-add: a counter's total for A is the
//     larger of the two, an MV register's write after the re-add is
//     dominated by B's write instead of becoming its sibling
//     (TestMapReAddConcurrentWithOldUpdate, TestMapMVReAddConcurrentWrite).
//   - Deferred removes: a remove (a context of dots) that arrives before the
//     update it removes is remembered by the receiver's context, and the
//     update is dropped when it arrives (TestMapRemoveBeforeAdd).
//   - No tombstones: removed keys leave only dots in the compact context,
//     which grows with the number of replicas, not with history
//     (TestMapNoTombstones).
//   - Values are bound to the map's replica: every value the map creates,
//     copies from another replica or decodes is built with the map's value
//     constructor for the map's own replica id, never the other replica's.
//
// # Deltas and costs
//
// The delta of an Update is the key with its new slot (the key's whole new
// value, so its size is that of one value, not of the map) and a context of
// the dots it replaced; the delta of a Remove is a context of the removed
// dots. A value's own delta is not used: shipping the whole value is what
// makes a slot mean the same thing on every replica, and so what makes the
// add-wins rule above exact whatever order deltas arrive in.
//
// Update, Remove and Get cost O(1) map operations plus the size of the one
// value (TestMapUpdateDeltaIndependentOfSize, BenchmarkMapUpdate). Merge
// costs O(size of the argument), plus O(size of the receiver) only when the
// argument's context holds more dots than the receiver has slots. Payload
// and Keys sort the keys.
//
// # Payload
//
//	{"context":{"cloud":[],"vv":[{"n":3,"r":"a"}]},
//	 "entries":[{"key":"k","values":[{"dot":{"n":3,"r":"a"},"value":<V>}]}]}
//
// Entries are sorted by key ([payload.Compare]) and each entry's values by
// dot. LoadPayload checks that keys are unique, that every entry has a value,
// that every dot is valid, unique and within the context, and loads each
// value with V's own LoadPayload into a fresh value bound to the map's
// replica; errors name the field, such as "entries[3].values[0].value.p".
//
// A Map is not safe for concurrent use. Create one with [NewMap]; the zero
// Map has no value constructor and only reports [ErrNoValueType].
type Map[K comparable, V crdt.State] struct {
	replica  crdt.ReplicaID
	newValue func(crdt.ReplicaID) V
	name     string

	cc      *causal.Context
	entries map[K][]slot[V]  // present keys; slots sorted by dot, never empty
	index   map[causal.Dot]K // dot of every slot -> its key
	delta   *Map[K, V]       // join of the pending deltas; nil if none
}

// slot is one dot of a key and the key's value as of that dot's update. A
// slot's value is never modified while the slot is in a map.
type slot[V any] struct {
	dot causal.Dot
	val V
}

var _ crdt.CRDT[*Map[string, crdt.State], map[string]crdt.State] = (*Map[string, crdt.State])(nil)

func init() {
	payload.RegisterHint("compound.Map", "compound.RegisterMap[K](newValue) for compound.Map[%s]")
	RegisterMap[string](counters.NewPNCounter)
}

// NewMap returns an empty map bound to replica whose values are made by
// newValue, which is called with the map's replica id (also for values
// decoded from payloads or copied from other replicas) and must return an
// empty value. It panics if newValue is nil.
func NewMap[K comparable, V crdt.State](replica crdt.ReplicaID, newValue func(crdt.ReplicaID) V) *Map[K, V] {
	if newValue == nil {
		panic("compound: NewMap with a nil value constructor")
	}
	return &Map[K, V]{
		replica:  replica,
		newValue: newValue,
		name:     mapTypeName[K](newValue),
		cc:       new(causal.Context),
		entries:  make(map[K][]slot[V]),
		index:    make(map[causal.Dot]K),
	}
}

func mapTypeName[K comparable, V crdt.State](newValue func(crdt.ReplicaID) V) string {
	return "compound.Map[" + payload.NameOf[K]() + "," + newValue(mapProbeReplica).TypeName() + "]"
}

// RegisterMap registers Map[K, V] with [payload.Default] under its type name,
// "compound.Map[" + K's Go type + "," + V's TypeName + "]", such as
// "compound.Map[string,counters.PNCounter]", so that its payloads decode with
// [payload.Unmarshal]. Map[string, *counters.PNCounter] is registered when
// the package is imported; register other instantiations once, before
// decoding their payloads. newValue is the value constructor the decoded maps
// use. It is idempotent: a name already registered is left as it is. It
// panics if newValue is nil.
func RegisterMap[K comparable, V crdt.State](newValue func(crdt.ReplicaID) V) {
	if newValue == nil {
		panic("compound: RegisterMap with a nil value constructor")
	}
	err := payload.Register(payload.Type{
		Name:    mapTypeName[K](newValue),
		Version: 1,
		New:     func(r crdt.ReplicaID) crdt.State { return NewMap[K](r, newValue) },
	})
	if err != nil && !errors.Is(err, payload.ErrDuplicateType) {
		panic(err) // unreachable: the registration is complete
	}
}

// emptyLike returns an empty map with m's replica and value type.
func (m *Map[K, V]) emptyLike() *Map[K, V] {
	return &Map[K, V]{
		replica:  m.replica,
		newValue: m.newValue,
		name:     m.name,
		cc:       new(causal.Context),
		entries:  make(map[K][]slot[V]),
		index:    make(map[causal.Dot]K),
	}
}

// context returns the causal context, an empty one for the zero Map.
func (m *Map[K, V]) context() *causal.Context {
	if m.cc == nil {
		return new(causal.Context)
	}
	return m.cc
}

func (m *Map[K, V]) ready() error {
	if m.newValue == nil {
		return ErrNoValueType
	}
	return nil
}

// Replica returns the replica the map is bound to.
func (m *Map[K, V]) Replica() crdt.ReplicaID { return m.replica }

// Update applies fn to the value of key, creating the key with a new empty
// value if it is absent, and records the change as a new dot of key. fn
// works on a copy: if it returns an error, Update returns that error and the
// map is unchanged. A nil fn only makes the key present (or renews its dot).
//
// When concurrent updates left key with several values, fn sees their join,
// and the result replaces them all. Update fails with [crdt.ErrNoReplica] if
// the map is bound to no replica.
func (m *Map[K, V]) Update(key K, fn func(v V) error) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("compound: Map.Update: %w", err)
	}
	if err := m.replica.Validate(); err != nil {
		return fmt.Errorf("compound: Map.Update: %w", err)
	}
	old := m.entries[key]
	var v V
	switch len(old) {
	case 0:
		v = m.newValue(m.replica)
	case 1:
		c, err := cloneValue(old[0].val)
		if err != nil {
			return fmt.Errorf("compound: Map.Update: %w", err)
		}
		v = c
	default:
		j, err := m.join(old)
		if err != nil {
			return fmt.Errorf("compound: Map.Update: joining the concurrent values of %v: %w", key, err)
		}
		v = j
	}
	if fn != nil {
		if err := fn(v); err != nil {
			return err
		}
	}
	v.TakeDeltaState() // the map ships whole values; drop the value's own delta

	d, err := m.cc.Next(m.replica)
	if err != nil {
		return fmt.Errorf("compound: Map.Update: %w", err)
	}
	for _, s := range old {
		delete(m.index, s.dot)
	}
	m.entries[key] = []slot[V]{{dot: d, val: v}}
	m.index[d] = key

	// Join the delta {key: [d: v]} with context old ∪ {d} into the pending
	// delta: the pending slots of key whose dots are in old are replaced.
	p := m.pending()
	for _, s := range old {
		p.cc.Add(s.dot)
	}
	p.cc.Add(d)
	kept := p.dropDots(key, old)
	// The delta shares v with the state: slot values are never modified
	// (Update changes a copy, Merge copies what it takes), so neither side
	// can change the other's.
	kept = append(kept, slot[V]{dot: d, val: v})
	slices.SortFunc(kept, compareSlots)
	p.entries[key] = kept
	p.index[d] = key
	return nil
}

// Remove removes key and its value and reports whether it was present. The
// remove only affects the updates of key that the map has seen: an update
// made concurrently elsewhere survives the merge (add-wins).
func (m *Map[K, V]) Remove(key K) bool {
	old, ok := m.entries[key]
	if !ok {
		return false
	}
	delete(m.entries, key)
	for _, s := range old {
		delete(m.index, s.dot)
	}
	// The delta: a context of the removed dots, which removes the slots of
	// key in the pending delta too.
	p := m.pending()
	for _, s := range old {
		p.cc.Add(s.dot)
	}
	if kept := p.dropDots(key, old); len(kept) > 0 {
		p.entries[key] = kept
	} else {
		delete(p.entries, key)
	}
	return true
}

func (m *Map[K, V]) pending() *Map[K, V] {
	if m.delta == nil {
		m.delta = m.emptyLike()
	}
	return m.delta
}

// dropDots returns a new slice with the slots of key whose dots are not in
// gone, and removes the dropped ones from the index. It does not store the
// result.
func (m *Map[K, V]) dropDots(key K, gone []slot[V]) []slot[V] {
	cur := m.entries[key]
	kept := make([]slot[V], 0, len(cur)+1)
	for _, s := range cur {
		if slices.ContainsFunc(gone, func(g slot[V]) bool { return g.dot == s.dot }) {
			delete(m.index, s.dot)
			continue
		}
		kept = append(kept, s)
	}
	return kept
}

func compareSlots[V any](a, b slot[V]) int { return a.dot.Compare(b.dot) }

// cloneValue returns a deep copy of v (bound to the same replica).
func cloneValue[V crdt.State](v V) (V, error) {
	c, ok := v.CloneState().(V)
	if !ok {
		var zero V
		return zero, fmt.Errorf("%w: CloneState of %T returned another type", crdt.ErrTypeMismatch, v)
	}
	return c, nil
}

// adopt returns a copy of v, which may belong to another replica, bound to
// m's replica: a fresh value with v merged into it. The fresh value is thrown
// away on error, so a Struct value skips its atomicity trial (mergeField).
func (m *Map[K, V]) adopt(v V) (V, error) {
	n := m.newValue(m.replica)
	if err := mergeField(n, v); err != nil {
		var zero V
		return zero, err
	}
	n.TakeDeltaState()
	return n, nil
}

// join returns a new value, bound to m's replica, that is the join of the
// slots' values. Like adopt, it merges into a fresh value without trial.
func (m *Map[K, V]) join(slots []slot[V]) (V, error) {
	n := m.newValue(m.replica)
	for _, s := range slots {
		if err := mergeField(n, s.val); err != nil {
			var zero V
			return zero, err
		}
	}
	n.TakeDeltaState()
	return n, nil
}

// view returns the value of a key's slots: the slot's own value when there is
// one (not a copy), the join of their values otherwise.
func (m *Map[K, V]) view(slots []slot[V]) V {
	if len(slots) == 1 {
		return slots[0].val
	}
	v, err := m.join(slots)
	if err != nil {
		// Only states that break the contract (values that cannot be
		// joined) get here; show the first value rather than nothing.
		return slots[0].val
	}
	return v
}

// Get returns the value of key and whether key is present. The value is a
// read-only view that may be the map's own: do not modify it (the change
// would not be recorded as a delta and could be lost or break convergence),
// use [Map.Update]. It is valid until the next change of the map.
func (m *Map[K, V]) Get(key K) (V, bool) {
	slots, ok := m.entries[key]
	if !ok {
		var zero V
		return zero, false
	}
	return m.view(slots), true
}

// Has reports whether key is present.
func (m *Map[K, V]) Has(key K) bool {
	_, ok := m.entries[key]
	return ok
}

// Len returns the number of keys present.
func (m *Map[K, V]) Len() int { return len(m.entries) }

// Keys returns the keys present, sorted by [payload.Compare].
func (m *Map[K, V]) Keys() []K {
	keys := make([]K, 0, len(m.entries))
	for k := range m.entries {
		keys = append(keys, k)
	}
	payload.SortElements(keys)
	return keys
}

// All returns the keys and their values in the order of [Map.Keys]. The
// values are read-only views, as for [Map.Get]. The map must not be changed
// during the iteration.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for _, k := range m.Keys() {
			if !yield(k, m.view(m.entries[k])) {
				return
			}
		}
	}
}

// Value returns a copy of every key's value. The values are deep copies bound
// to the map's replica: changing them does not change the map. Compare values
// of different replicas by their payloads or Value methods, not with ==.
func (m *Map[K, V]) Value() map[K]V {
	out := make(map[K]V, len(m.entries))
	for k, slots := range m.entries {
		if len(slots) == 1 {
			if c, err := cloneValue(slots[0].val); err == nil {
				out[k] = c
				continue
			}
		}
		out[k] = m.view(slots)
	}
	return out
}

// Context returns a copy of the map's causal context: every dot the map has
// seen. Its size is one entry per replica plus dots seen out of order.
func (m *Map[K, V]) Context() *causal.Context { return m.context().Clone() }

// Merge joins other into m; see [Map] for the rule. It never keeps a
// reference into other: values taken from other are copied into fresh values
// bound to m's replica. Merge records no delta. It fails only when a value
// copy fails (a value type that breaks the contract); m is then unchanged.
func (m *Map[K, V]) Merge(other *Map[K, V]) error {
	if other == nil || other == m {
		return nil
	}
	if err := m.ready(); err != nil {
		return fmt.Errorf("compound: Map.Merge: %w", err)
	}
	oc := other.context()
	// Compute every changed key first, then commit, so that an error leaves
	// m unchanged.
	staged := make(map[K][]slot[V], len(other.entries))
	for k, theirs := range other.entries {
		out, changed, err := m.joinSlots(m.entries[k], theirs, oc)
		if err != nil {
			return fmt.Errorf("compound: Map.Merge: key %v: %w", k, err)
		}
		if changed {
			staged[k] = out
		}
	}
	// Keys that other does not hold lose the slots other has seen: other
	// removed them.
	visit := func(k K) {
		if _, ok := other.entries[k]; ok {
			return
		}
		if _, ok := staged[k]; ok {
			return
		}
		mine := m.entries[k]
		var kept []slot[V]
		for i, s := range mine {
			if oc.Contains(s.dot) {
				if kept == nil {
					kept = make([]slot[V], i, len(mine))
					copy(kept, mine[:i])
				}
				continue
			}
			if kept != nil {
				kept = append(kept, s)
			}
		}
		if kept != nil {
			staged[k] = kept
		}
	}
	if n, small := contextDots(oc, len(m.index)); small && n > 0 {
		// A small context (a delta's): look its dots up.
		for d := range allDots(oc) {
			if k, ok := m.index[d]; ok {
				visit(k)
			}
		}
	} else if n > 0 {
		for k := range m.entries {
			visit(k)
		}
	}
	for k, out := range staged {
		for _, s := range m.entries[k] {
			delete(m.index, s.dot)
		}
		if len(out) == 0 {
			delete(m.entries, k)
			continue
		}
		m.entries[k] = out
		for _, s := range out {
			m.index[s.dot] = k
		}
	}
	m.cc.Merge(oc)
	return nil
}

// joinSlots joins the slots of one key: mine (with context m.cc) and theirs
// (with context co). It returns a new slice and changed=true if the result
// differs from mine; values taken from theirs are copies bound to m's
// replica.
func (m *Map[K, V]) joinSlots(mine, theirs []slot[V], co *causal.Context) ([]slot[V], bool, error) {
	if len(mine) == 1 && len(theirs) == 1 && mine[0].dot == theirs[0].dot {
		return mine, false, nil // the common case: both sides hold the same update
	}
	out := make([]slot[V], 0, len(mine)+len(theirs))
	changed := false
	i, j := 0, 0
	for i < len(mine) || j < len(theirs) {
		var c int
		switch {
		case j == len(theirs):
			c = -1
		case i == len(mine):
			c = 1
		default:
			c = mine[i].dot.Compare(theirs[j].dot)
		}
		switch {
		case c < 0:
			if co.Contains(mine[i].dot) {
				changed = true // other has seen it and dropped it
			} else {
				out = append(out, mine[i])
			}
			i++
		case c > 0:
			if !m.cc.Contains(theirs[j].dot) {
				v, err := m.adopt(theirs[j].val)
				if err != nil {
					return nil, false, err
				}
				out = append(out, slot[V]{dot: theirs[j].dot, val: v})
				changed = true
			}
			j++
		default:
			// The same dot is the same update, with the same value on
			// both sides: keep ours.
			out = append(out, mine[i])
			i++
			j++
		}
	}
	return out, changed, nil
}

// contextDots returns the number of dots in c, and small=true if it is at
// most limit (counting stops beyond limit).
func contextDots(c *causal.Context, limit int) (n int, small bool) {
	total := uint64(0)
	for _, max := range c.Vector() {
		total += max
		if total > uint64(limit) {
			return limit + 1, false
		}
	}
	_, cloud := c.Size()
	total += uint64(cloud)
	if total > uint64(limit) {
		return limit + 1, false
	}
	return int(total), true
}

// allDots returns every dot of c.
func allDots(c *causal.Context) iter.Seq[causal.Dot] {
	return func(yield func(causal.Dot) bool) {
		for r, max := range c.Vector() {
			for n := uint64(1); n <= max; n++ {
				if !yield(causal.Dot{Replica: r, Counter: n}) {
					return
				}
			}
		}
		for d := range c.Cloud() {
			if !yield(d) {
				return
			}
		}
	}
}

// Clone returns a deep copy bound to the same replica, without the pending
// delta.
func (m *Map[K, V]) Clone() *Map[K, V] {
	c := &Map[K, V]{
		replica:  m.replica,
		newValue: m.newValue,
		name:     m.name,
		cc:       m.context().Clone(),
		entries:  make(map[K][]slot[V], len(m.entries)),
		index:    make(map[causal.Dot]K, len(m.index)),
	}
	for k, slots := range m.entries {
		cs := make([]slot[V], len(slots))
		for i, s := range slots {
			v, err := cloneValue(s.val)
			if err != nil {
				// A value type whose CloneState returns another type
				// breaks the contract; copy through a merge instead.
				v, _ = m.adopt(s.val)
			}
			cs[i] = slot[V]{dot: s.dot, val: v}
			c.index[s.dot] = k
		}
		c.entries[k] = cs
	}
	return c
}

// TakeDelta returns the join of the deltas of the updates and removes since
// the last call and forgets it; ok is false if there was none.
func (m *Map[K, V]) TakeDelta() (*Map[K, V], bool) {
	d := m.delta
	m.delta = nil
	return d, d != nil
}

// TypeName returns "compound.Map[" + K's Go type + "," + V's TypeName + "]",
// such as "compound.Map[string,counters.PNCounter]" ("" for the zero Map).
// NewMap computes it once; clones and deltas copy it.
func (m *Map[K, V]) TypeName() string { return m.name }

// MergeState merges other, which must be a *Map[K, V].
func (m *Map[K, V]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*Map[K, V]](m, other)
}

// CloneState is [Map.Clone] as a [crdt.State].
func (m *Map[K, V]) CloneState() crdt.State { return m.Clone() }

// TakeDeltaState is [Map.TakeDelta] as a [crdt.State].
func (m *Map[K, V]) TakeDeltaState() (crdt.State, bool) {
	d, ok := m.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}
