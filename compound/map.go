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

	cc    *causal.Context
	store causal.Store[K, V] // present keys: each slot a dot and the key's value as of that dot's update
	delta *Map[K, V]         // join of the pending deltas; nil if none
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
	old, _ := m.store.Get(key)
	var v V
	switch old.Len() {
	case 0:
		v = m.newValue(m.replica)
	case 1:
		first, _ := old.First()
		c, err := cloneValue(first.Val)
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
	fresh := causal.SlotsOf(causal.Slot[V]{Val: v, Dot: d})
	m.store.Set(key, fresh)

	// Join the delta {key: [d: v]} with context old ∪ {d} into the pending
	// delta: the pending slots of key whose dots are in old are replaced.
	// The delta shares v with the state: slot values are never modified
	// (Update changes a copy, Merge copies what it takes), so neither side
	// can change the other's.
	p := m.pending()
	for od := range old.All() {
		p.cc.Add(od)
	}
	p.cc.Add(d)
	p.store.Set(key, p.keptSlots(key, old, causal.Slot[V]{Val: v, Dot: d}))
	return nil
}

// Remove removes key and its value and reports whether it was present. The
// remove only affects the updates of key that the map has seen: an update
// made concurrently elsewhere survives the merge (add-wins).
func (m *Map[K, V]) Remove(key K) bool {
	old, ok := m.store.Get(key)
	if !ok {
		return false
	}
	m.store.Delete(key)
	// The delta: a context of the removed dots, which removes the slots of
	// key in the pending delta too.
	p := m.pending()
	for od := range old.All() {
		p.cc.Add(od)
	}
	p.store.Set(key, p.keptSlots(key, old))
	return true
}

func (m *Map[K, V]) pending() *Map[K, V] {
	if m.delta == nil {
		m.delta = m.emptyLike()
	}
	return m.delta
}

// keptSlots returns the slots of key in m whose dots are not in gone, with
// the extra slots added.
func (m *Map[K, V]) keptSlots(key K, gone causal.Slots[V], extra ...causal.Slot[V]) causal.Slots[V] {
	cur, _ := m.store.Get(key)
	kept := extra
	for d, v := range cur.Each() {
		if !gone.Contains(d) {
			kept = append(kept, causal.Slot[V]{Val: v, Dot: d})
		}
	}
	return causal.SlotsOf(kept...)
}

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
func (m *Map[K, V]) join(slots causal.Slots[V]) (V, error) {
	n := m.newValue(m.replica)
	for _, v := range slots.Each() {
		if err := mergeField(n, v); err != nil {
			var zero V
			return zero, err
		}
	}
	n.TakeDeltaState()
	return n, nil
}

// view returns the value of a key's slots: the slot's own value when there is
// one (not a copy), the join of their values otherwise.
func (m *Map[K, V]) view(slots causal.Slots[V]) V {
	first, _ := slots.First()
	if slots.Len() == 1 {
		return first.Val
	}
	v, err := m.join(slots)
	if err != nil {
		// Only states that break the contract (values that cannot be
		// joined) get here; show the first value rather than nothing.
		return first.Val
	}
	return v
}

// Get returns the value of key and whether key is present. The value is a
// read-only view that may be the map's own: do not modify it (the change
// would not be recorded as a delta and could be lost or break convergence),
// use [Map.Update]. It is valid until the next change of the map.
func (m *Map[K, V]) Get(key K) (V, bool) {
	slots, ok := m.store.Get(key)
	if !ok {
		var zero V
		return zero, false
	}
	return m.view(slots), true
}

// Has reports whether key is present.
func (m *Map[K, V]) Has(key K) bool { return m.store.Has(key) }

// Len returns the number of keys present.
func (m *Map[K, V]) Len() int { return m.store.Len() }

// Keys returns the keys present, sorted by [payload.Compare].
func (m *Map[K, V]) Keys() []K {
	return slices.AppendSeq(make([]K, 0, m.store.Len()), m.store.Keys())
}

// All returns the keys and their values in the order of [Map.Keys]. The
// values are read-only views, as for [Map.Get]. The map must not be changed
// during the iteration.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, slots := range m.store.All() {
			if !yield(k, m.view(slots)) {
				return
			}
		}
	}
}

// Value returns a copy of every key's value. The values are deep copies bound
// to the map's replica: changing them does not change the map. Compare values
// of different replicas by their payloads or Value methods, not with ==.
func (m *Map[K, V]) Value() map[K]V {
	out := make(map[K]V, m.store.Len())
	for k, slots := range m.store.All() {
		if first, _ := slots.First(); slots.Len() == 1 {
			if c, err := cloneValue(first.Val); err == nil {
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
// bound to m's replica. Merge records no delta.
//
// Merging a delta costs in proportion to the delta, not to m: it visits the
// keys the delta names and, through the dot index, the keys its context
// removed. Two large maps merge by one ordered walk of both.
//
// It fails, leaving m unchanged, when a value copy fails (a value type that
// breaks the contract), and with a [*causal.ConflictError] (wrapping
// [crdt.ErrConflict]) when one dot names different keys in m and in other:
// two map instances updated different keys under one replica id (a fresh
// map made under an existing replica's id, or a clone used as a second
// replica), which would otherwise diverge or lose updates silently.
func (m *Map[K, V]) Merge(other *Map[K, V]) error {
	if other == nil || other == m {
		return nil
	}
	if err := m.ready(); err != nil {
		return fmt.Errorf("compound: Map.Merge: %w", err)
	}
	if m.cc == nil {
		m.cc = new(causal.Context)
	}
	oc := other.context()
	if err := m.store.JoinWith(m.cc, &other.store, oc, m.adopt); err != nil {
		return fmt.Errorf("compound: Map.Merge: %w", err)
	}
	m.cc.Merge(oc)
	return nil
}

// Clone returns a copy bound to the same replica, without the pending delta,
// in O(1) for the keys: the copy shares the map's immutable slot values
// copy-on-write. The clone is the same replica: it must not make updates of
// its own beside the original (their dots would collide, and a merge of the
// two reports [crdt.ErrConflict]); a second replica is a new map with its
// own replica id.
func (m *Map[K, V]) Clone() *Map[K, V] {
	return &Map[K, V]{
		replica:  m.replica,
		newValue: m.newValue,
		name:     m.name,
		cc:       m.context().Clone(),
		store:    m.store.Clone(),
	}
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
