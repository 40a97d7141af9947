package sets

import (
	"bytes"
	"fmt"
	"iter"
	"slices"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// ORSet is an add-wins observed-remove set without tombstones (an ORSWOT, the
// add-wins set of the delta-state CRDT papers).
//
// Every add gets a fresh dot, a (replica, counter) pair from
// [causal.Context.Next]. The state is a map from each present element to the
// dots of the adds that made it present, and a causal context: every dot the
// replica has seen, including dots of adds that were since removed. Adding a
// present element replaces its dots with the new one; removing an element
// deletes it and its dots from the map. Nothing else is kept: the context,
// stored as a version vector plus the few dots seen out of order, remembers
// the removed dots, so no per-element tombstone is needed.
//
// Merge keeps a dot of an element if both sides hold it, or if one side holds
// it and the other side's context has not seen it. A dot that the other side
// has seen but no longer holds was removed there, so it goes. An element stays
// while it has a dot; contexts merge by union.
//
// Semantics and traps, and the tests that pin them:
//   - Add wins over a concurrent remove: a remove only cancels the adds
//     (dots) it observed, so an add the remover had not seen survives
//     (TestORSetAddWins). An element re-added after a remove is present.
//   - A dot that both sides hold is kept. One known ORSWOT implementation
//     computed the merge as "dots the other side has not seen" on both
//     sides and so dropped adds that both replicas shared
//     (TestORSetMergeKeepsSharedDot).
//   - A remove can arrive before the add it removes (for example, the
//     remove's delta overtakes the add's): the removed dots wait in the
//     context and the add is dropped when it arrives, on any delivery order
//     (TestORSetRemoveBeforeAdd).
//   - Removing an absent element is a no-op: it records nothing and produces
//     no delta. In particular it does not "pre-remove" a concurrent add that
//     the remover has not seen.
//   - No tombstones: after any churn, and once replicas have exchanged
//     everything, the state holds only the live elements with one dot each
//     per concurrent add, and a context of one vector entry per replica and
//     an empty cloud (TestORSetChurnLeavesNoResidue).
//   - Merge copies: nothing of the argument is kept (the crdttest no-alias
//     law).
//
// Deltas: Add(e) yields ({e: {new dot}}, context {new dot} ∪ e's old dots);
// Remove(e) yields (no element, context = e's old dots). They merge like any
// state.
//
// The payload is
//
//	{"context":{"cloud":[...],"vv":[{"n":3,"r":"a"}]},
//	 "elements":[{"dots":[{"n":2,"r":"a"}],"e":"x"}]}
//
// with the context as in package causal and the elements sorted by
// [payload.Compare], each with its dots sorted. Loading rejects a missing
// context or elements array, missing, null or duplicate elements, elements
// without dots, invalid or duplicate dots, and dots beyond the causal
// context.
//
// Use [NewORSet]; the zero ORSet is empty but bound to no replica, so Add
// fails with [crdt.ErrNoReplica]. An ORSet is not safe for concurrent use.
type ORSet[T comparable] struct {
	replica crdt.ReplicaID
	ctx     causal.Context
	elems   causal.DotMap[T]
	delta   *ORSet[T]
}

var _ crdt.CRDT[*ORSet[string], []string] = (*ORSet[string])(nil)

// NewORSet returns an empty set bound to replica.
func NewORSet[T comparable](replica crdt.ReplicaID) *ORSet[T] {
	return &ORSet[T]{replica: replica}
}

// Replica returns the replica the set is bound to.
func (s *ORSet[T]) Replica() crdt.ReplicaID { return s.replica }

// Add adds e with a new dot of the local replica, replacing the dots of the
// adds of e this replica has seen. It fails, changing nothing, with
// [crdt.ErrNoReplica] if the set is bound to no replica and with
// [causal.ErrExhausted] if the replica has used up its dot counters (only a
// forged payload gets there).
func (s *ORSet[T]) Add(e T) error {
	d, err := s.ctx.Next(s.replica)
	if err != nil {
		return err
	}
	old, _ := s.elems.Get(e)
	s.elems.Set(e, causal.DotSetOf(d))
	s.record(e, old, d) // the delta ({e: {d}}, {d} ∪ old)
	return nil
}

// Remove removes e, cancelling the adds of e this replica has seen, and
// reports whether e was present. Removing an absent element does nothing
// and records no delta.
func (s *ORSet[T]) Remove(e T) bool {
	old, ok := s.elems.Get(e)
	if !ok {
		return false
	}
	s.elems.Delete(e)
	s.record(e, old) // the delta ({}, old)
	return true
}

// record joins into the pending delta the delta of a local operation that
// replaced the dots old of e with the dot fresh, if any: ({e: fresh}, fresh
// ∪ old). Dots name one element, so only e's entry changes: its pending
// dots that old cancels go, fresh joins.
func (s *ORSet[T]) record(e T, old causal.DotSet, fresh ...causal.Dot) {
	if s.delta == nil {
		s.delta = &ORSet[T]{replica: s.replica}
	}
	p := s.delta
	keep := fresh
	if pd, ok := p.elems.Get(e); ok {
		for x := range pd.All() {
			if !old.Contains(x) {
				keep = append(keep, x)
			}
		}
	}
	p.elems.Set(e, causal.DotSetOf(keep...))
	for _, d := range fresh {
		p.ctx.Add(d)
	}
	p.ctx.AddSet(old)
}

// Contains reports whether e is in the set.
func (s *ORSet[T]) Contains(e T) bool { return s.elems.Has(e) }

// Len returns the number of elements.
func (s *ORSet[T]) Len() int { return s.elems.Len() }

// All returns the elements in the order of [payload.Compare]. The set must
// not change during the iteration.
func (s *ORSet[T]) All() iter.Seq[T] { return s.elems.Keys() }

// Elements returns the elements sorted by [payload.Compare].
func (s *ORSet[T]) Elements() []T {
	return slices.AppendSeq(make([]T, 0, s.elems.Len()), s.elems.Keys())
}

// Value returns the elements sorted by [payload.Compare], as [ORSet.Elements].
func (s *ORSet[T]) Value() []T { return s.Elements() }

// Merge joins other into s. Nothing of other is kept; no delta is recorded.
//
// Merging a delta costs in proportion to the delta, not to s: O(k log n)
// for a delta that names k elements and dots. Two large sets merge by one
// ordered walk of both.
//
// It fails with a [*causal.ConflictError] (wrapping [crdt.ErrConflict]), and
// leaves s unchanged, if one dot names different elements in s and in other:
// two set instances added different elements under one replica id (a fresh
// set made under an existing replica's id, or a clone used as a second
// replica), and merging would silently lose one of the adds.
func (s *ORSet[T]) Merge(other *ORSet[T]) error {
	if other == nil || other == s {
		return nil
	}
	if err := s.elems.Join(&s.ctx, &other.elems, &other.ctx); err != nil {
		return fmt.Errorf("sets: ORSet.Merge: %w", err)
	}
	s.ctx.Merge(&other.ctx)
	return nil
}

// Clone returns a copy bound to the same replica, with no pending delta, in
// O(1) for the elements (they are shared copy-on-write) plus the size of the
// causal context. The clone is the same replica: it must not make changes
// of its own beside the original (their dots would collide, and a merge of
// the two reports [crdt.ErrConflict]). A second replica is a new set with
// its own replica id, merged with this one: see [NewORSet].
func (s *ORSet[T]) Clone() *ORSet[T] {
	return &ORSet[T]{replica: s.replica, ctx: *s.ctx.Clone(), elems: s.elems.Clone()}
}

// TakeDelta returns the join of the deltas of the adds and removes since the
// last call and forgets them; ok is false if there were none.
func (s *ORSet[T]) TakeDelta() (*ORSet[T], bool) {
	d := s.delta
	s.delta = nil
	return d, d != nil
}

// TypeName returns "sets.ORSet[T]" with T's Go type, such as
// "sets.ORSet[string]".
func (s *ORSet[T]) TypeName() string { return setTypeName[T]("ORSet") }

// MergeState merges other, which must be an *ORSet[T].
func (s *ORSet[T]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*ORSet[T]](s, other)
}

// CloneState returns [ORSet.Clone] as a [crdt.State].
func (s *ORSet[T]) CloneState() crdt.State { return s.Clone() }

// TakeDeltaState returns [ORSet.TakeDelta] as a [crdt.State].
func (s *ORSet[T]) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

// orsetElement is one element of an ORSet payload. Fields are declared in
// the order of their JSON keys.
type orsetElement[T comparable] struct {
	Dots []causal.Dot `json:"dots"`
	E    T            `json:"e"`
}

// orsetWire is the form LoadPayload decodes: the context stays raw so that
// its errors can be placed under "context".
type orsetWire[T comparable] struct {
	Context  json.RawMessage   `json:"context"`
	Elements []orsetElement[T] `json:"elements"`
}

// Payload returns the canonical JSON form of the set (see [ORSet]), written
// by [ORSet.AppendPayload] when it is encoded. The value reads the set and
// must not be kept after the set changes.
func (s *ORSet[T]) Payload() any { return payload.Appended(s.AppendPayload) }

// AppendPayload appends the canonical JSON form of the set's state to dst
// in one in-order walk of the elements, with no sort.
func (s *ORSet[T]) AppendPayload(dst []byte) ([]byte, error) {
	dst = append(dst, `{"context":`...)
	dst = s.ctx.AppendJSON(dst)
	dst = append(dst, `,"elements":[`...)
	i, n := 0, s.elems.Len()
	var err error
	for e, ds := range s.elems.All() {
		start := len(dst)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"dots":`...)
		dst = causal.AppendSlotDots(dst, ds)
		dst = append(dst, `,"e":`...)
		if dst, err = payload.AppendElement(dst, e); err != nil {
			return dst, err
		}
		dst = append(dst, '}')
		if i == 0 && n > 16 {
			// Make room once, from the first element's size, instead of
			// growing (and copying) the buffer some twenty times.
			dst = slices.Grow(dst, (len(dst)-start+1)*(n-1)*9/8)
		}
		i++
	}
	return append(dst, "]}"...), nil
}

// LoadPayload replaces the set with the one encoded in data, keeping its
// replica and dropping any pending delta. On error the set is unchanged.
func (s *ORSet[T]) LoadPayload(data []byte) error {
	var w orsetWire[T]
	if err := payload.DecodeStrict(data, &w); err != nil {
		return err
	}
	if len(w.Context) == 0 || bytes.Equal(w.Context, []byte("null")) {
		return payload.Invalidf("context", "missing")
	}
	if w.Elements == nil {
		return payload.Invalidf("elements", "missing (an empty set has [])")
	}
	if err := checkORSetZeroElement(data, w.Elements); err != nil {
		return err
	}
	var ctx causal.Context
	if err := ctx.UnmarshalJSON(w.Context); err != nil {
		return payload.InField("context", err)
	}
	elems, err := buildORSetElements(&ctx, w.Elements)
	if err != nil {
		return err
	}
	s.ctx, s.elems, s.delta = ctx, elems, nil
	return nil
}

// orsetNullable is orsetWire with the elements behind pointers, to tell a
// missing or null element from the zero element.
type orsetNullable[T comparable] struct {
	Context  json.RawMessage `json:"context"`
	Elements []struct {
		Dots []causal.Dot `json:"dots"`
		E    *T           `json:"e"`
	} `json:"elements"`
}

// checkORSetZeroElement rejects a missing or null "e", which the decoder
// turns into the zero element without a word. Since elements are unique, at
// most one legitimate zero element exists; only then is data decoded again.
func checkORSetZeroElement[T comparable](data []byte, els []orsetElement[T]) error {
	var zero T
	if !slices.ContainsFunc(els, func(el orsetElement[T]) bool { return el.E == zero }) {
		return nil
	}
	var n orsetNullable[T]
	if err := payload.DecodeStrict(data, &n); err != nil {
		return err
	}
	for i, el := range n.Elements {
		if el.E == nil {
			return payload.Invalidf(payload.Index("elements", i)+".e", "missing or null")
		}
	}
	return nil
}

func buildORSetElements[T comparable](ctx *causal.Context, els []orsetElement[T]) (causal.DotMap[T], error) {
	var elems causal.DotMap[T]
	check := causal.NewDotChecker(ctx, len(els))
	for i, el := range els {
		if len(el.Dots) == 0 {
			return elems, payload.Invalidf(payload.Index("elements", i)+".dots", "no dots (an element without dots is absent)")
		}
		for j, d := range el.Dots {
			if err := check.Check(d); err != nil {
				return elems, payload.InField(payload.Index(payload.Index("elements", i)+".dots", j), err)
			}
		}
		if !elems.Put(el.E, causal.DotSetOf(el.Dots...)) {
			return elems, payload.Invalidf(payload.Index("elements", i)+".e", "element listed twice")
		}
	}
	return elems, nil
}
