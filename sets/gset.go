package sets

import (
	"iter"
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
	elems members[T]
	delta *GSet[T]
}

var _ crdt.CRDT[*GSet[string], []string] = (*GSet[string])(nil)

// NewGSet returns an empty set. A GSet needs no identity, so replica is
// ignored; the parameter is there to match the constructors of other types.
// The zero GSet is an empty set too.
func NewGSet[T comparable](replica crdt.ReplicaID) *GSet[T] {
	return &GSet[T]{}
}

// Add adds x to the set, in O(log n).
func (s *GSet[T]) Add(x T) {
	if !s.elems.add(x) {
		return
	}
	if s.delta == nil {
		s.delta = &GSet[T]{}
	}
	s.delta.elems.add(x)
}

// Contains reports whether x is in the set.
func (s *GSet[T]) Contains(x T) bool { return s.elems.has(x) }

// Len returns the number of elements.
func (s *GSet[T]) Len() int { return s.elems.len() }

// Value returns the elements, sorted by [payload.Compare]. The slice is the
// caller's.
func (s *GSet[T]) Value() []T { return s.elems.values() }

// All returns an iterator over the elements in the order of
// [payload.Compare]. The set must not be changed during the iteration.
func (s *GSet[T]) All() iter.Seq[T] { return s.elems.all() }

// Merge joins other into s: s becomes the union of both. A nil other is an
// empty set. Merge never fails. Merging k elements costs O(k log n) when k
// is small against s, and one ordered walk of both, O(n + k), when it is
// not; other is not changed.
func (s *GSet[T]) Merge(other *GSet[T]) error {
	if other == nil || other == s {
		return nil
	}
	s.elems.union(&other.elems, nil)
	return nil
}

// Clone returns a copy of s without its pending delta, in O(1): the two
// share their elements copy-on-write.
func (s *GSet[T]) Clone() *GSet[T] {
	return &GSet[T]{elems: s.elems.clone()}
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

// Payload returns the canonical JSON form {"elements":[...]}, written by
// [GSet.AppendPayload] when it is encoded. The value reads the set and must
// not be kept after the set changes.
func (s *GSet[T]) Payload() any { return payload.Appended(s.AppendPayload) }

// AppendPayload appends the canonical JSON form of the set to dst in one
// in-order walk of the elements, with no sort.
func (s *GSet[T]) AppendPayload(dst []byte) ([]byte, error) {
	dst = append(dst, `{"elements":`...)
	dst, err := s.elems.appendJSON(dst)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
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
	elems, err := loadMembers("elements", p.Elements)
	if err != nil {
		return err
	}
	s.elems, s.delta = elems, nil
	return nil
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
