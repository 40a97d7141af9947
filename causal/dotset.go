package causal

import (
	"iter"
	"slices"
)

// DotSet is a small immutable set of dots: the dots of the updates that make
// one entry of a dot store (an element of a set, a key of a map) visible.
// The common case of a single dot is stored inline, without an allocation.
//
// DotSet is a value type; its methods never modify it, and values may be
// copied freely. The zero DotSet is empty.
type DotSet struct {
	one  Dot    // the only dot, when more is nil (zero when the set is empty)
	more *[]Dot // all dots in Dot.Compare order when there are two or more; never written after construction
}

// DotSetOf returns the set of the given dots, which must be valid. The
// argument is not kept.
func DotSetOf(dots ...Dot) DotSet {
	switch len(dots) {
	case 0:
		return DotSet{}
	case 1:
		mustValid(dots[0])
		return DotSet{one: dots[0]}
	}
	for _, d := range dots {
		mustValid(d)
	}
	s := slices.Clone(dots)
	slices.SortFunc(s, Dot.Compare)
	s = slices.Compact(s)
	return fromSorted(s)
}

// fromSorted wraps a sorted, duplicate-free slice it takes ownership of.
func fromSorted(s []Dot) DotSet {
	switch len(s) {
	case 0:
		return DotSet{}
	case 1:
		return DotSet{one: s[0]}
	}
	return DotSet{more: &s}
}

// Len returns the number of dots in s.
func (s DotSet) Len() int {
	if s.more != nil {
		return len(*s.more)
	}
	if s.one.Counter != 0 {
		return 1
	}
	return 0
}

// IsEmpty reports whether s has no dot.
func (s DotSet) IsEmpty() bool { return s.more == nil && s.one.Counter == 0 }

// Contains reports whether d is in s.
func (s DotSet) Contains(d Dot) bool {
	if s.more == nil {
		return s.one.Counter != 0 && s.one == d
	}
	for _, e := range *s.more {
		if e == d {
			return true
		}
	}
	return false
}

// All returns the dots of s in [Dot.Compare] order.
func (s DotSet) All() iter.Seq[Dot] {
	return func(yield func(Dot) bool) {
		if s.more == nil {
			if s.one.Counter != 0 {
				yield(s.one)
			}
			return
		}
		for _, d := range *s.more {
			if !yield(d) {
				return
			}
		}
	}
}

// AppendTo appends the dots of s to dst in [Dot.Compare] order and returns
// the extended slice.
func (s DotSet) AppendTo(dst []Dot) []Dot {
	if s.more == nil {
		if s.one.Counter != 0 {
			return append(dst, s.one)
		}
		return dst
	}
	return append(dst, (*s.more)...)
}

// Equal reports whether s and t hold the same dots.
func (s DotSet) Equal(t DotSet) bool {
	if s.more == nil || t.more == nil {
		return s.more == nil && t.more == nil && s.one == t.one
	}
	return slices.Equal(*s.more, *t.more)
}

// Without returns the dots of s that c has not seen: what survives of an
// entry present on one side of a join when the other side's context is c.
func (s DotSet) Without(c *Context) DotSet {
	if s.more == nil {
		if s.one.Counter == 0 || c.Contains(s.one) {
			return DotSet{}
		}
		return s
	}
	return s.without(newLookup(c))
}

// clone returns s with its own copy of any shared storage.
func (s DotSet) clone() DotSet {
	if s.more != nil {
		c := slices.Clone(*s.more)
		s.more = &c
	}
	return s
}

// Join returns the join of two dot sets for the same entry: a, held by a
// replica whose causal context is ca, and b, held by one whose context is cb.
// A dot survives if both sides have it, or if one side has it and the other
// has not seen it (its absence there is not a removal). The result shares no
// storage with b.
//
// This is the join of causal dot sets of the delta-CRDT framework (Almeida,
// Shoker, Baquero 2018): (a ∩ b) ∪ (a \ cb) ∪ (b \ ca). Note the first term:
// a dot that both sides hold is in both contexts, and dropping it would lose
// an add that neither side removed.
func Join(a DotSet, ca *Context, b DotSet, cb *Context) DotSet {
	return join(a, newLookup(ca), b, newLookup(cb))
}

func join(a DotSet, ca *lookup, b DotSet, cb *lookup) DotSet {
	if a.more == nil && b.more == nil {
		switch {
		case a.one == b.one:
			return a
		case a.one.Counter == 0:
			return b.without(ca)
		case b.one.Counter == 0:
			return a.without(cb)
		}
		keepA := !cb.contains(a.one)
		keepB := !ca.contains(b.one)
		switch {
		case keepA && keepB:
			if a.one.Compare(b.one) > 0 {
				return DotSet{more: &[]Dot{b.one, a.one}}
			}
			return DotSet{more: &[]Dot{a.one, b.one}}
		case keepA:
			return a
		case keepB:
			return b
		}
		return DotSet{}
	}
	// General case: a sorted merge of the two lists.
	as, bs := a.AppendTo(nil), b.AppendTo(nil)
	out := make([]Dot, 0, len(as)+len(bs))
	i, j := 0, 0
	for i < len(as) || j < len(bs) {
		switch {
		case j == len(bs) || (i < len(as) && as[i].Compare(bs[j]) < 0):
			if !cb.contains(as[i]) {
				out = append(out, as[i])
			}
			i++
		case i == len(as) || as[i].Compare(bs[j]) > 0:
			if !ca.contains(bs[j]) {
				out = append(out, bs[j])
			}
			j++
		default: // on both sides
			out = append(out, as[i])
			i++
			j++
		}
	}
	if a.more != nil && slices.Equal(out, *a.more) {
		return a
	}
	return fromSorted(out)
}
