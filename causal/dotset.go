package causal

import (
	"iter"
	"slices"
)

// Slot is one dot of an entry of a dot store, with the payload that the
// dot's update wrote: nothing for a set element ([DotSet]), the key's value
// as of that update for a map key. A slot's payload is never modified while
// the slot is in a store.
type Slot[P any] struct {
	Val P   // first, so that a Slot[struct{}] is exactly a Dot in size
	Dot Dot // the update
}

// Slots is a small immutable set of slots with distinct dots, sorted by dot:
// the updates that make one entry of a dot store (an element of a set, a key
// of a map) present. The common case of a single slot is stored inline,
// without an allocation.
//
// Slots is a value type; its methods never modify it, and values may be
// copied freely. The zero Slots is empty.
type Slots[P any] struct {
	one  Slot[P]    // the only slot, when more is nil (zero dot when empty)
	more *[]Slot[P] // all slots in dot order when there are two or more; never written after construction
}

// DotSet is a set of dots: [Slots] without payloads, the entry of an add-wins
// set.
type DotSet = Slots[struct{}]

// DotSetOf returns the set of the given dots, which must be valid. The
// argument is not kept.
func DotSetOf(dots ...Dot) DotSet {
	switch len(dots) {
	case 0:
		return DotSet{}
	case 1:
		mustValid(dots[0])
		return DotSet{one: Slot[struct{}]{Dot: dots[0]}}
	}
	s := make([]Slot[struct{}], len(dots))
	for i, d := range dots {
		mustValid(d)
		s[i].Dot = d
	}
	return sortSlots(s)
}

// SlotsOf returns the set of the given slots, whose dots must be valid and
// distinct. The argument is not kept.
func SlotsOf[P any](slots ...Slot[P]) Slots[P] {
	for _, s := range slots {
		mustValid(s.Dot)
	}
	return sortSlots(slices.Clone(slots))
}

// sortSlots sorts s by dot, drops repeated dots (keeping the first) and
// takes ownership of s.
func sortSlots[P any](s []Slot[P]) Slots[P] {
	slices.SortStableFunc(s, compareSlots[P])
	s = slices.CompactFunc(s, func(a, b Slot[P]) bool { return a.Dot == b.Dot })
	return fromSorted(s)
}

func compareSlots[P any](a, b Slot[P]) int { return a.Dot.Compare(b.Dot) }

// fromSorted wraps a sorted, duplicate-free slice it takes ownership of.
func fromSorted[P any](s []Slot[P]) Slots[P] {
	switch len(s) {
	case 0:
		return Slots[P]{}
	case 1:
		return Slots[P]{one: s[0]}
	}
	return Slots[P]{more: &s}
}

// Len returns the number of slots.
func (s Slots[P]) Len() int {
	if s.more != nil {
		return len(*s.more)
	}
	if s.one.Dot.Counter != 0 {
		return 1
	}
	return 0
}

// IsEmpty reports whether s has no slot.
func (s Slots[P]) IsEmpty() bool { return s.more == nil && s.one.Dot.Counter == 0 }

// Contains reports whether s has a slot with dot d.
func (s Slots[P]) Contains(d Dot) bool {
	if s.more == nil {
		return s.one.Dot.Counter != 0 && s.one.Dot == d
	}
	for _, e := range *s.more {
		if e.Dot == d {
			return true
		}
	}
	return false
}

// list returns the slots as a slice that must not be modified.
func (s Slots[P]) list() []Slot[P] {
	if s.more != nil {
		return *s.more
	}
	if s.one.Dot.Counter != 0 {
		return []Slot[P]{s.one}
	}
	return nil
}

// All returns the dots of s in [Dot.Compare] order.
func (s Slots[P]) All() iter.Seq[Dot] {
	return func(yield func(Dot) bool) {
		if s.more == nil {
			if s.one.Dot.Counter != 0 {
				yield(s.one.Dot)
			}
			return
		}
		for _, e := range *s.more {
			if !yield(e.Dot) {
				return
			}
		}
	}
}

// Each returns the dots of s with their payloads, in [Dot.Compare] order.
func (s Slots[P]) Each() iter.Seq2[Dot, P] {
	return func(yield func(Dot, P) bool) {
		if s.more == nil {
			if s.one.Dot.Counter != 0 {
				yield(s.one.Dot, s.one.Val)
			}
			return
		}
		for _, e := range *s.more {
			if !yield(e.Dot, e.Val) {
				return
			}
		}
	}
}

// First returns the slot with the smallest dot; ok is false if s is empty.
func (s Slots[P]) First() (slot Slot[P], ok bool) {
	if s.more != nil {
		return (*s.more)[0], true
	}
	return s.one, s.one.Dot.Counter != 0
}

// AppendTo appends the dots of s to dst in [Dot.Compare] order and returns
// the extended slice.
func (s Slots[P]) AppendTo(dst []Dot) []Dot {
	if s.more == nil {
		if s.one.Dot.Counter != 0 {
			return append(dst, s.one.Dot)
		}
		return dst
	}
	for _, e := range *s.more {
		dst = append(dst, e.Dot)
	}
	return dst
}

// Equal reports whether s and t hold the same dots. Payloads are not
// compared: a dot names one update, so equal dots carry equal payloads in
// any state that keeps replica identities apart.
func (s Slots[P]) Equal(t Slots[P]) bool {
	if s.more == nil || t.more == nil {
		return s.more == nil && t.more == nil && s.one.Dot == t.one.Dot
	}
	return slices.EqualFunc(*s.more, *t.more, func(a, b Slot[P]) bool { return a.Dot == b.Dot })
}

// Without returns the slots of s whose dots c has not seen: what survives of
// an entry present on one side of a join when the other side's context is c.
func (s Slots[P]) Without(c *Context) Slots[P] {
	if s.more == nil {
		if s.one.Dot.Counter == 0 || c.Contains(s.one.Dot) {
			return Slots[P]{}
		}
		return s
	}
	return s.without(newLookup(c))
}

// Join returns the join of two dot sets for the same entry: a, held by a
// replica whose causal context is ca, and b, held by one whose context is cb.
// A dot survives if both sides have it, or if one side has it and the other
// has not seen it (its absence there is not a removal).
//
// This is the join of causal dot sets of the delta-CRDT framework (Almeida,
// Shoker, Baquero 2018): (a ∩ b) ∪ (a \ cb) ∪ (b \ ca). Note the first term:
// a dot that both sides hold is in both contexts, and dropping it would lose
// an add that neither side removed.
func Join(a DotSet, ca *Context, b DotSet, cb *Context) DotSet {
	u, _ := joinSlots(a, newLookup(ca), b, newLookup(cb), nil)
	return u
}

// joinSlots is [Join] for slots with payloads: a slot taken from b alone
// gets the payload adopt returns for it (b's own payload if adopt is nil);
// a slot on both sides keeps a's payload. When nothing changes it returns a
// itself.
func joinSlots[P any](a Slots[P], ca *lookup, b Slots[P], cb *lookup, adopt func(P) (P, error)) (Slots[P], error) {
	take := func(s Slot[P]) (Slot[P], error) {
		if adopt == nil {
			return s, nil
		}
		v, err := adopt(s.Val)
		return Slot[P]{Val: v, Dot: s.Dot}, err
	}
	if a.more == nil && b.more == nil {
		switch {
		case a.one.Dot == b.one.Dot:
			return a, nil
		case a.one.Dot.Counter == 0:
			u := b.without(ca)
			if u.IsEmpty() {
				return u, nil
			}
			s, err := take(u.one)
			return Slots[P]{one: s}, err
		case b.one.Dot.Counter == 0:
			return a.without(cb), nil
		}
		keepA := !cb.contains(a.one.Dot)
		keepB := !ca.contains(b.one.Dot)
		switch {
		case keepA && keepB:
			sb, err := take(b.one)
			if err != nil {
				return Slots[P]{}, err
			}
			if a.one.Dot.Compare(b.one.Dot) > 0 {
				return Slots[P]{more: &[]Slot[P]{sb, a.one}}, nil
			}
			return Slots[P]{more: &[]Slot[P]{a.one, sb}}, nil
		case keepA:
			return a, nil
		case keepB:
			sb, err := take(b.one)
			return Slots[P]{one: sb}, err
		}
		return Slots[P]{}, nil
	}
	// General case: a sorted merge of the two lists.
	as, bs := a.list(), b.list()
	out := make([]Slot[P], 0, len(as)+len(bs))
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		switch {
		case j == len(bs) || (i < len(as) && as[i].Dot.Compare(bs[j].Dot) < 0):
			if !cb.contains(as[i].Dot) {
				out = append(out, as[i])
			}
			i++
		case i == len(as) || as[i].Dot.Compare(bs[j].Dot) > 0:
			if !ca.contains(bs[j].Dot) {
				s, err := take(bs[j])
				if err != nil {
					return Slots[P]{}, err
				}
				out = append(out, s)
			}
			j++
		default: // on both sides
			out = append(out, as[i])
			i++
			j++
		}
	}
	if len(out) == len(as) && slices.EqualFunc(out, as, func(x, y Slot[P]) bool { return x.Dot == y.Dot }) {
		return a, nil
	}
	return fromSorted(out), nil
}
