package sets

import (
	"iter"
	"maps"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// GSet is a grow-only set: elements can be added and never removed.
//
// Merge is set union. Union is commutative, associative and idempotent, and
// an element added anywhere is eventually everywhere. The delta of Add is the
// set {x} (nothing if x was already there).
//
// Traps, and what we do about them:
//   - There is no remove. Use [TwoPSet] (removal is final), [LWWSet] or
//     [ORSet] (elements can come back) when elements must go.
//   - Elements must survive a JSON round trip unchanged (see the package
//     documentation); TestGSetStructElements shows a struct element type.
//
// The payload is {"elements":[...]}, sorted by [payload.Compare]. Loading
// rejects duplicates and null elements; order does not matter.
type GSet[T comparable] struct {
	elems map[T]struct{}
	delta *GSet[T]
}

var _ crdt.CRDT[*GSet[string], []string] = (*GSet[string])(nil)

// NewGSet returns an empty set. A GSet needs no identity, so replica is
// ignored; the parameter is there to match the constructors of other types.
func NewGSet[T comparable](replica crdt.ReplicaID) *GSet[T] {
	return &GSet[T]{elems: make(map[T]struct{})}
}

// Add adds x to the set.
func (s *GSet[T]) Add(x T) {
	if _, ok := s.elems[x]; ok {
		return
	}
	if s.elems == nil {
		s.elems = make(map[T]struct{})
	}
	s.elems[x] = struct{}{}
	if s.delta == nil {
		s.delta = &GSet[T]{elems: make(map[T]struct{}, 1)}
	}
	s.delta.elems[x] = struct{}{}
}

// Contains reports whether x is in the set.
func (s *GSet[T]) Contains(x T) bool {
	_, ok := s.elems[x]
	return ok
}

// Len returns the number of elements.
func (s *GSet[T]) Len() int { return len(s.elems) }

// Value returns the elements, sorted by [payload.Compare]. The slice is the
// caller's.
func (s *GSet[T]) Value() []T { return sortedMembers(s.elems) }

// All returns an iterator over the elements in no particular order. The set
// must not be changed during the iteration.
func (s *GSet[T]) All() iter.Seq[T] { return maps.Keys(s.elems) }

// Merge joins other into s: s becomes the union of both. A nil other is an
// empty set. Merge never fails.
func (s *GSet[T]) Merge(other *GSet[T]) error {
	if other == nil || len(other.elems) == 0 {
		return nil
	}
	if s.elems == nil {
		s.elems = make(map[T]struct{}, len(other.elems))
	}
	for x := range other.elems {
		s.elems[x] = struct{}{}
	}
	return nil
}

// Clone returns a copy of s without its pending delta.
func (s *GSet[T]) Clone() *GSet[T] {
	return &GSet[T]{elems: cloneMembers(s.elems)}
}

// TakeDelta returns the set of elements added since the last call and
// forgets it; ok is false if nothing was added.
func (s *GSet[T]) TakeDelta() (*GSet[T], bool) {
	d := s.delta
	s.delta = nil
	return d, d != nil
}

// TypeName returns "sets.GSet[" + the element type + "]", such as
// "sets.GSet[string]".
func (s *GSet[T]) TypeName() string { return setTypeName[T]("GSet") }

// MergeState merges other, which must be a *GSet[T].
func (s *GSet[T]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*GSet[T]](s, other)
}

// CloneState is [GSet.Clone] as a [crdt.State].
func (s *GSet[T]) CloneState() crdt.State { return s.Clone() }

// TakeDeltaState is [GSet.TakeDelta] as a [crdt.State].
func (s *GSet[T]) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type gsetPayload[T comparable] struct {
	Elements []T `json:"elements"`
}

// gsetNullable is gsetPayload with nullable elements, to find a null element
// among the zero elements a payload decoded to.
type gsetNullable[T comparable] struct {
	Elements []*T `json:"elements"`
}

// Payload returns the canonical JSON form {"elements":[...]}.
func (s *GSet[T]) Payload() any {
	return &gsetPayload[T]{Elements: sortedMembers(s.elems)}
}

// LoadPayload replaces the set with the one in data and drops any pending
// delta. It rejects a missing elements array, null and duplicate elements;
// on error s is unchanged.
func (s *GSet[T]) LoadPayload(data []byte) error {
	var p gsetPayload[T]
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if holdsZero(p.Elements) {
		var n gsetNullable[T]
		if err := payload.DecodeStrict(data, &n); err != nil {
			return err
		}
		if err := rejectNull("elements", n.Elements); err != nil {
			return err
		}
	}
	elems, err := uniqueMembers("elements", p.Elements)
	if err != nil {
		return err
	}
	s.elems, s.delta = elems, nil
	return nil
}

// sortedMembers returns the keys of m sorted by payload.Compare, as a
// non-nil slice so that an empty set encodes as [].
func sortedMembers[T comparable](m map[T]struct{}) []T {
	xs := make([]T, 0, len(m))
	for x := range m {
		xs = append(xs, x)
	}
	payload.SortElements(xs)
	return xs
}

func cloneMembers[T comparable](m map[T]struct{}) map[T]struct{} {
	if m == nil {
		return make(map[T]struct{})
	}
	return maps.Clone(m)
}

// uniqueMembers turns the elements array of a payload, field, into a set,
// rejecting a missing array and duplicates.
func uniqueMembers[T comparable](field string, xs []T) (map[T]struct{}, error) {
	if xs == nil {
		return nil, payload.Invalidf(field, "missing (an empty set has [])")
	}
	m := make(map[T]struct{}, len(xs))
	for i, x := range xs {
		if _, dup := m[x]; dup {
			return nil, payload.Invalidf(payload.Index(field, i), "duplicate element")
		}
		m[x] = struct{}{}
	}
	return m, nil
}

// holdsZero reports whether xs holds the zero element, which is what a null
// element decodes to, so that the slower check for null elements (a second
// decode) runs only on such payloads.
func holdsZero[T comparable](xs []T) bool {
	var zero T
	return slices.Contains(xs, zero)
}

// rejectNull returns an error naming the first null element of field. A null
// would otherwise decode silently to the zero element.
func rejectNull[T any](field string, xs []*T) error {
	for i, x := range xs {
		if x == nil {
			return payload.Invalidf(payload.Index(field, i), "null element")
		}
	}
	return nil
}
