package itc

import "math/bits"

// Event is an interval tree event: a counter n, or a node (n, l, r) whose
// children describe the left and right halves of the interval relative to n.
// The zero value is the counter 0. Events are immutable and always in
// normal form: the children of a node are lowered by their minimum, so one
// of them has root 0, and a node never has two equal leaf children.
type Event struct {
	n uint64
	k *evKids // nil for a leaf
}

type evKids struct {
	l, r Event
}

// IsLeaf reports whether e is a plain counter rather than a node.
func (e Event) IsLeaf() bool { return e.k == nil }

// Value returns the counter stored at the root of e. For a leaf it is the
// whole event; for a node it is the minimum over the interval.
func (e Event) Value() uint64 { return e.n }

// Equal reports whether e and o are the same event.
func (e Event) Equal(o Event) bool {
	for {
		if e.n != o.n {
			return false
		}
		if e.k == o.k {
			return true
		}
		if e.k == nil || o.k == nil {
			return false
		}
		if !e.k.l.Equal(o.k.l) {
			return false
		}
		e, o = e.k.r, o.k.r
	}
}

// kids returns the children of e, or two zero leaves when e is a leaf (the
// paper's lifting of n to (n, 0, 0)).
func (e Event) kids() (Event, Event) {
	if e.k == nil {
		return Event{}, Event{}
	}
	return e.k.l, e.k.r
}

// u128 holds the absolute value of a node: the sum of the counters on the
// path from the root. Paths may add up to more than 2^64-1, so operations
// carry these sums in 128 bits and only narrow them when storing a counter.
type u128 struct{ hi, lo uint64 }

func (a u128) add(n uint64) u128 {
	lo, c := bits.Add64(a.lo, n, 0)
	return u128{a.hi + c, lo}
}

func (a u128) less(b u128) bool {
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo)
}

func maxU(a, b u128) u128 {
	if a.less(b) {
		return b
	}
	return a
}

func minU(a, b u128) u128 {
	if b.less(a) {
		return b
	}
	return a
}

// diff returns a-b for a >= b, and whether it fits in 64 bits.
func (a u128) diff(b u128) (uint64, bool) {
	lo, borrow := bits.Sub64(a.lo, b.lo, 0)
	hi := a.hi - b.hi - borrow
	return lo, hi == 0
}

// Leq reports whether e is less than or equal to o at every point of the
// interval, that is whether e's history is contained in o's.
func (e Event) Leq(o Event) bool { return leq(e, u128{}, o, u128{}) }

// leq compares e (whose parent is at absolute value be) with o (parent at
// bo). It follows the paper's definition, with the lifting done by carrying
// the absolute values, so it allocates nothing and never overflows.
func leq(e Event, be u128, o Event, bo u128) bool {
	for {
		ve, vo := be.add(e.n), bo.add(o.n)
		if vo.less(ve) {
			return false
		}
		if e.k == nil {
			return true
		}
		if o.k == nil {
			// Every point of e must stay at or below the leaf o.
			if !leq(e.k.l, ve, o, bo) {
				return false
			}
			e, be = e.k.r, ve
			continue
		}
		if e.k == o.k {
			return true // same shape, o's base is not lower
		}
		if !leq(e.k.l, ve, o.k.l, vo) {
			return false
		}
		e, be, o, bo = e.k.r, ve, o.k.r, vo
	}
}

// Compare orders e and o by causality. It walks both trees once, stopping
// as soon as they are known to be concurrent, and allocates nothing.
func (e Event) Compare(o Event) Ordering {
	c := cmpState{le: true, ge: true}
	compare(e, u128{}, o, u128{}, &c)
	return order(c.le, c.ge)
}

// cmpState records whether e <= o and e >= o can still hold.
type cmpState struct{ le, ge bool }

func compare(e Event, be u128, o Event, bo u128, c *cmpState) {
	for {
		ve, vo := be.add(e.n), bo.add(o.n)
		// A root is the minimum of its subtree, so a lower root on one side
		// rules out that side being above the other.
		if ve.less(vo) {
			c.ge = false
		} else if vo.less(ve) {
			c.le = false
		}
		switch {
		case e.k == o.k:
			return // equal shapes: the roots decide
		case e.k == nil:
			// e is flat at ve: e >= o needs o's maximum at or below ve.
			if c.ge && !atMost(o, bo, ve) {
				c.ge = false
			}
			return
		case o.k == nil:
			if c.le && !atMost(e, be, vo) {
				c.le = false
			}
			return
		}
		if !c.le && !c.ge {
			return
		}
		compare(e.k.l, ve, o.k.l, vo, c)
		if !c.le && !c.ge {
			return
		}
		e, be, o, bo = e.k.r, ve, o.k.r, vo
	}
}

// atMost reports whether every value of e, whose parent is at b, is at
// most v.
func atMost(e Event, b u128, v u128) bool {
	for {
		ve := b.add(e.n)
		if v.less(ve) {
			return false
		}
		if e.k == nil {
			return true
		}
		if !atMost(e.k.l, ve, v) {
			return false
		}
		e, b = e.k.r, ve
	}
}

func order(le, ge bool) Ordering {
	switch {
	case le && ge:
		return Equal
	case le:
		return Less
	case ge:
		return Greater
	}
	return Concurrent
}

// sub is an intermediate result: a normal-form subtree whose root has the
// absolute value v and whose children (if any) are k.
type sub struct {
	v u128
	k *evKids
}

// alloc hands out the nodes of a result. When the number of nodes is known
// in advance, a single slab serves them all.
type alloc struct {
	slab []evKids
}

func (a *alloc) node(l, r Event) *evKids {
	if len(a.slab) > 0 {
		k := &a.slab[0]
		a.slab = a.slab[1:]
		k.l, k.r = l, r
		return k
	}
	return &evKids{l, r}
}

// mk builds the normal form of a node with children l and r. If reuse or
// reuse2 (either may be nil) already holds the resulting children it is
// returned instead of a fresh node, so unchanged subtrees stay shared.
func mk(l, r sub, reuse, reuse2 *evKids, a *alloc) (sub, bool) {
	if l.k == nil && r.k == nil && l.v == r.v {
		return sub{v: l.v}, true
	}
	m := minU(l.v, r.v)
	dl, okl := l.v.diff(m)
	dr, okr := r.v.diff(m)
	if !okl || !okr {
		return sub{}, false
	}
	el, er := Event{dl, l.k}, Event{dr, r.k}
	if reuse != nil && reuse.l == el && reuse.r == er {
		return sub{m, reuse}, true
	}
	if reuse2 != nil && reuse2.l == el && reuse2.r == er {
		return sub{m, reuse2}, true
	}
	return sub{m, a.node(el, er)}, true
}

// event narrows a root result to an Event.
func (s sub) event() (Event, error) {
	if s.v.hi != 0 {
		return Event{}, ErrCounterOverflow
	}
	return Event{s.v.lo, s.k}, nil
}

// Join returns the least event above both e and o: their pointwise maximum.
// It fails with ErrCounterOverflow only if the result needs a counter above
// 2^64-1.
func (e Event) Join(o Event) (Event, error) {
	s, ok := join(e, u128{}, o, u128{})
	if !ok {
		return Event{}, ErrCounterOverflow
	}
	return s.event()
}

func join(e Event, be u128, o Event, bo u128) (sub, bool) {
	ve, vo := be.add(e.n), bo.add(o.n)
	switch {
	case e.k == nil && o.k == nil:
		return sub{v: maxU(ve, vo)}, true
	case e.k == o.k:
		return sub{maxU(ve, vo), e.k}, true
	case e.k == nil && !vo.less(ve):
		return sub{vo, o.k}, true // the leaf e is at or below o's minimum
	case o.k == nil && !ve.less(vo):
		return sub{ve, e.k}, true
	}
	el, er := e.kids()
	ol, or := o.kids()
	l, ok := join(el, ve, ol, vo)
	if !ok {
		return sub{}, false
	}
	r, ok := join(er, ve, or, vo)
	if !ok {
		return sub{}, false
	}
	return mk(l, r, e.k, o.k, &alloc{})
}

// maxAbs returns the largest absolute value in e, whose parent is at b.
func maxAbs(e Event, b u128) u128 {
	v := b.add(e.n)
	if e.k == nil {
		return v
	}
	return maxU(maxAbs(e.k.l, v), maxAbs(e.k.r, v))
}

// fill is the paper's fill: it raises e, as far as the id i allows, to the
// largest value already seen, simplifying the tree. It reports whether the
// event changed; an unchanged event is returned as it was.
func fill(i *idNode, e Event, b u128) (sub, bool, bool) {
	v := b.add(e.n)
	same := sub{v, e.k}
	switch {
	case i == nil || e.k == nil:
		return same, false, true
	case i == idOne:
		return sub{v: maxAbs(e, b)}, true, true
	case i.l == idOne:
		r, rch, ok := fill(i.r, e.k.r, v)
		if !ok {
			return sub{}, false, false
		}
		lv := maxU(maxAbs(e.k.l, v), r.v)
		if !rch && e.k.l.k == nil && lv == v.add(e.k.l.n) {
			return same, false, true
		}
		s, ok := mk(sub{v: lv}, r, nil, nil, &alloc{})
		return s, true, ok
	case i.r == idOne:
		l, lch, ok := fill(i.l, e.k.l, v)
		if !ok {
			return sub{}, false, false
		}
		rv := maxU(maxAbs(e.k.r, v), l.v)
		if !lch && e.k.r.k == nil && rv == v.add(e.k.r.n) {
			return same, false, true
		}
		s, ok := mk(l, sub{v: rv}, nil, nil, &alloc{})
		return s, true, ok
	}
	l, lch, ok := fill(i.l, e.k.l, v)
	if !ok {
		return sub{}, false, false
	}
	r, rch, ok := fill(i.r, e.k.r, v)
	if !ok {
		return sub{}, false, false
	}
	if !lch && !rch {
		return same, false, true
	}
	s, ok := mk(l, r, nil, nil, &alloc{})
	return s, true, ok
}
