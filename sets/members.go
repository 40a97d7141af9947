package sets

import (
	"iter"
	"slices"

	"github.com/crdtkit/crdtkit/internal/ordered"
	"github.com/crdtkit/crdtkit/payload"
)

// members is the sorted, copy-on-write set of elements that GSet and
// TwoPSet keep: an [ordered.Map] with no values. Its zero value is empty.
type members[T comparable] struct {
	m ordered.Map[T, struct{}]
}

func (s *members[T]) has(x T) bool { return s.m.Has(x) }

// add adds x and reports whether it was absent.
func (s *members[T]) add(x T) bool { return s.m.Insert(x, struct{}{}) }

// remove removes x and reports whether it was present.
func (s *members[T]) remove(x T) bool {
	_, ok := s.m.Delete(x)
	return ok
}

func (s *members[T]) len() int { return s.m.Len() }

// clone is O(1): the copy shares the tree copy-on-write.
func (s *members[T]) clone() members[T] { return members[T]{m: s.m.Clone()} }

// all returns the elements in canonical order.
func (s *members[T]) all() iter.Seq[T] { return s.m.Keys() }

// values returns the elements in canonical order as a new, non-nil slice.
func (s *members[T]) values() []T {
	return slices.AppendSeq(make([]T, 0, s.m.Len()), s.m.Keys())
}

// union adds every element of o that keep accepts (nil: all of them). A
// small o is added element by element, O(k log n); a large one by one
// ordered walk of both, O(n + k). o is not changed.
func (s *members[T]) union(o *members[T], keep func(T) bool) {
	if o.len() == 0 {
		return
	}
	if !ordered.PreferJoin(s.len(), o.len()) {
		for x := range o.all() {
			if keep == nil || keep(x) {
				s.add(x)
			}
		}
		return
	}
	joined, _ := ordered.Join(&s.m, &o.m, func(x T, _, _ struct{}, side ordered.Side) (struct{}, bool, error) {
		return struct{}{}, side != ordered.OnlyB || keep == nil || keep(x), nil
	})
	s.m = joined
}

// appendJSON appends the elements as a JSON array in canonical order, in one
// pass with no sort.
func (s *members[T]) appendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, '[')
	i, n := 0, s.len()
	var err error
	for x := range s.all() {
		start := len(dst)
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = payload.AppendElement(dst, x); err != nil {
			return dst, err
		}
		if i == 0 && n > 16 {
			// Grow once, from the first element's size, instead of some
			// twenty times.
			dst = slices.Grow(dst, (len(dst)-start+1)*(n-1)*9/8)
		}
		i++
	}
	return append(dst, ']'), nil
}

// loadMembers builds the set of a payload's array field, rejecting a
// missing array and duplicates. Sorted input, which every canonical payload
// is, is appended without a search and proves itself free of duplicates in
// the same pass; any other order is accepted too, at the cost of a sort.
func loadMembers[T comparable](field string, xs []T) (members[T], error) {
	if xs == nil {
		return members[T]{}, payload.Invalidf(field, "missing (an empty set has [])")
	}
	less := payload.Less[T]()
	var s members[T]
	for i, x := range xs {
		if i > 0 && !less(xs[i-1], x) {
			return loadUnsorted(field, xs)
		}
		s.m.Load(x, struct{}{})
	}
	return s, nil
}

// loadUnsorted is loadMembers for input out of canonical order.
func loadUnsorted[T comparable](field string, xs []T) (members[T], error) {
	seen := make(map[T]struct{}, len(xs))
	for i, x := range xs {
		if _, dup := seen[x]; dup {
			return members[T]{}, payload.Invalidf(payload.Index(field, i), "duplicate element")
		}
		seen[x] = struct{}{}
	}
	sorted := slices.Clone(xs)
	payload.SortElements(sorted)
	var s members[T]
	for _, x := range sorted {
		s.m.Load(x, struct{}{})
	}
	return s, nil
}

// minus removes every element of o: point deletes when o is small against
// s, one ordered walk of both otherwise. o is not changed.
func (s *members[T]) minus(o *members[T]) {
	if o.len() == 0 || s.len() == 0 {
		return
	}
	if !ordered.PreferJoin(s.len(), o.len()) {
		for x := range o.all() {
			s.remove(x)
		}
		return
	}
	left, _ := ordered.Join(&s.m, &o.m, func(_ T, _, _ struct{}, side ordered.Side) (struct{}, bool, error) {
		return struct{}{}, side == ordered.OnlyA, nil
	})
	s.m = left
}
