package sets

import (
	"errors"
	"fmt"
	"iter"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// ErrRemoved is returned by [TwoPSet.Add] for an element that has been
// removed: in a two-phase set a removed element can never come back.
var ErrRemoved = errors.New("sets: element was removed and cannot be added again")

// TwoPSet is a two-phase set (2P-set): a grow-only set of added elements and
// a grow-only set of removed elements (tombstones). An element is in the set
// when it has been added and not removed.
//
// A REMOVED ELEMENT CAN NEVER COME BACK. Once any replica removes x, x stays
// out of the set on every replica forever: a later Add of x on this replica
// returns [ErrRemoved], and an Add on a replica that has not yet heard of the
// remove is undone when the remove arrives (TestTwoPSetRemovedNeverReturns).
// Use [LWWSet] or [ORSet] if elements must be able to return.
//
// Remove of an element this replica has not seen added is allowed: it
// records the tombstone at once, which blocks every add of x, past and
// future, on all replicas (TestTwoPSetRemoveBeforeAdd). That is the state
// semantics of the 2P-set (value = added minus removed); the usual
// precondition "remove only what is present" is not enforced, because a
// replica cannot know whether an add it has not yet received exists.
//
// Merge is the union of both parts. The state is kept normalised: an element
// is stored either as live or as a tombstone, never both, which is the same
// join on the quotient (added minus removed, removed). The delta of Add is
// {x} live, the delta of Remove is {x} removed.
//
// Every removed element costs a tombstone for the life of the set.
//
// The payload is {"elements":[...],"removed":[...]}: the live elements and
// the tombstones, each sorted by [payload.Compare]. Loading rejects
// duplicates, null elements and an element listed in both arrays.
type TwoPSet[T comparable] struct {
	live    members[T]
	removed members[T]
	delta   *TwoPSet[T]
}

var _ crdt.CRDT[*TwoPSet[string], []string] = (*TwoPSet[string])(nil)

// NewTwoPSet returns an empty set. A TwoPSet needs no identity, so replica
// is ignored. The zero TwoPSet is an empty set too.
func NewTwoPSet[T comparable](replica crdt.ReplicaID) *TwoPSet[T] {
	return &TwoPSet[T]{}
}

func (s *TwoPSet[T]) pending() *TwoPSet[T] {
	if s.delta == nil {
		s.delta = &TwoPSet[T]{}
	}
	return s.delta
}

// Add adds x, in O(log n). It returns an error wrapping [ErrRemoved], and
// changes nothing, if x has been removed.
func (s *TwoPSet[T]) Add(x T) error {
	if s.removed.has(x) {
		return fmt.Errorf("%w: %v", ErrRemoved, x)
	}
	if s.live.add(x) {
		s.pending().live.add(x)
	}
	return nil
}

// Remove removes x for good, whether or not x is in the set: x can never be
// added again, here or on any replica that merges this state.
func (s *TwoPSet[T]) Remove(x T) {
	if s.removed.has(x) {
		return
	}
	s.live.remove(x)
	s.removed.add(x)
	d := s.pending()
	d.live.remove(x)
	d.removed.add(x)
}

// Contains reports whether x is in the set: added and not removed.
func (s *TwoPSet[T]) Contains(x T) bool { return s.live.has(x) }

// Removed reports whether x has been removed, which means it can never be
// in the set again.
func (s *TwoPSet[T]) Removed(x T) bool { return s.removed.has(x) }

// Len returns the number of elements in the set.
func (s *TwoPSet[T]) Len() int { return s.live.len() }

// Tombstones returns the number of removed elements the state keeps.
func (s *TwoPSet[T]) Tombstones() int { return s.removed.len() }

// Value returns the elements in the set, sorted by [payload.Compare].
func (s *TwoPSet[T]) Value() []T { return s.live.values() }

// All returns an iterator over the elements in the set in the order of
// [payload.Compare]. The set must not be changed during the iteration.
func (s *TwoPSet[T]) All() iter.Seq[T] { return s.live.all() }

// Merge joins other into s: the union of the added elements minus the union
// of the removed ones. A nil other is an empty set. Merge never fails. Its
// cost follows other: O(k log n) for k elements and tombstones that are few
// against s, one ordered walk otherwise. other is not changed.
func (s *TwoPSet[T]) Merge(other *TwoPSet[T]) error {
	if other == nil || other == s {
		return nil
	}
	s.live.union(&other.live, func(x T) bool { return !s.removed.has(x) })
	s.live.minus(&other.removed)
	s.removed.union(&other.removed, nil)
	return nil
}

// Clone returns a copy of s without its pending delta, in O(1): the two
// share their elements copy-on-write.
func (s *TwoPSet[T]) Clone() *TwoPSet[T] {
	return &TwoPSet[T]{live: s.live.clone(), removed: s.removed.clone()}
}

// TakeDelta returns the adds and removes since the last call as a TwoPSet
// and forgets them; ok is false if there were none.
func (s *TwoPSet[T]) TakeDelta() (*TwoPSet[T], bool) {
	d := s.delta
	s.delta = nil
	return d, d != nil
}

// TypeName returns "sets.TwoPSet[" + the element type + "]".
func (s *TwoPSet[T]) TypeName() string { return setTypeName[T]("TwoPSet") }

// MergeState merges other, which must be a *TwoPSet[T].
func (s *TwoPSet[T]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*TwoPSet[T]](s, other)
}

// CloneState is [TwoPSet.Clone] as a [crdt.State].
func (s *TwoPSet[T]) CloneState() crdt.State { return s.Clone() }

// TakeDeltaState is [TwoPSet.TakeDelta] as a [crdt.State].
func (s *TwoPSet[T]) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type twoPSetPayload[T comparable] struct {
	Elements []T `json:"elements"`
	Removed  []T `json:"removed"`
}

type twoPSetNullable[T comparable] struct {
	Elements []*T `json:"elements"`
	Removed  []*T `json:"removed"`
}

// Payload returns the canonical JSON form {"elements":[...],"removed":[...]},
// written by [TwoPSet.AppendPayload] when it is encoded. The value reads the
// set and must not be kept after the set changes.
func (s *TwoPSet[T]) Payload() any { return payload.Appended(s.AppendPayload) }

// AppendPayload appends the canonical JSON form of the set to dst in one
// in-order walk of each part, with no sort.
func (s *TwoPSet[T]) AppendPayload(dst []byte) ([]byte, error) {
	dst = append(dst, `{"elements":`...)
	dst, err := s.live.appendJSON(dst)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"removed":`...)
	if dst, err = s.removed.appendJSON(dst); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// LoadPayload replaces the set with the one in data and drops any pending
// delta. It rejects missing arrays, null and duplicate elements and an
// element that is both live and removed; on error s is unchanged.
func (s *TwoPSet[T]) LoadPayload(data []byte) error {
	var p twoPSetPayload[T]
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if holdsZero(p.Elements) || holdsZero(p.Removed) {
		var n twoPSetNullable[T]
		if err := payload.DecodeStrict(data, &n); err != nil {
			return err
		}
		if err := rejectNull("elements", n.Elements); err != nil {
			return err
		}
		if err := rejectNull("removed", n.Removed); err != nil {
			return err
		}
	}
	live, err := loadMembers("elements", p.Elements)
	if err != nil {
		return err
	}
	removed, err := loadMembers("removed", p.Removed)
	if err != nil {
		return err
	}
	for i, x := range p.Elements {
		if removed.has(x) {
			return payload.Invalidf(payload.Index("elements", i), "element is also in removed (a removed element is not live)")
		}
	}
	s.live, s.removed, s.delta = live, removed, nil
	return nil
}
