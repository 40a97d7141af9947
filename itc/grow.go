package itc

// The paper's grow inflates an event at the cheapest point the id owns:
// expanding a leaf into a node costs a large constant N, each level down
// costs 1, and on equal cost the right side wins. Choosing a side needs
// the cost of both subtrees, so recomputing costs on the way down would be
// quadratic on deep trees. Instead a first pass computes every cost once
// and records the choice at each pair node of the id (a "decision point");
// the second pass builds the result along the recorded choices. Both
// passes are linear in the size of the trees.

// growLeaf is the cost N of expanding a leaf. It exceeds any possible tree
// depth, so costs compare as the pair (expansions, levels), and the low 32
// bits of a cost count the levels descended, which is the number of nodes
// the result needs along its new path.
const growLeaf = 1 << 32

// planStack decision points are recorded on the stack; beyond that the
// plan is allocated, except for leaf events (see growPruned).
const planStack = 128

const planRight = 1 << 31 // decision flag: grow the right side

// growPlan holds, for each decision point in pre-order, the side to grow
// (planRight) and the number of decision points in its left subtree.
type growPlan struct {
	dec  []uint32
	next int
}

// decisionPoints counts the pair nodes of i with two non-null children.
func decisionPoints(i *idNode) int {
	n := 0
	for i != nil && i != idOne {
		switch {
		case i.l == nil:
			i = i.r
		case i.r == nil:
			i = i.l
		default:
			n += 1 + decisionPoints(i.l)
			i = i.r
		}
	}
	return n
}

// growEvent returns grow(i, e) for a non-null id i. The result's new nodes
// come from one allocation.
func growEvent(i *idNode, e Event) (sub, bool) {
	d := decisionPoints(i)
	var buf [planStack]uint32
	var p growPlan
	switch {
	case d <= planStack:
		p.dec = buf[:d]
	case e.k == nil:
		return growPruned(i, e)
	default:
		p.dec = make([]uint32, d)
	}
	cost := p.cost(i, e)
	var a alloc
	if n := cost & (growLeaf - 1); n > 0 {
		a.slab = make([]evKids, n)
	}
	return p.grow(i, e, u128{}, &a, 0)
}

// cost returns the cost of grow(i, e) and records the decisions.
func (p *growPlan) cost(i *idNode, e Event) uint64 {
	if i == idOne {
		// For a leaf: increment it. A node under 1 never reaches grow (fill
		// flattens it); grow replaces it by its maximum plus one.
		return 0
	}
	c := uint64(1)
	if e.k == nil {
		c += growLeaf
	}
	l, r := e.kids()
	switch {
	case i.l == nil:
		return c + p.cost(i.r, r)
	case i.r == nil:
		return c + p.cost(i.l, l)
	}
	k := p.next
	p.next++
	cl := p.cost(i.l, l)
	p.dec[k] = uint32(p.next - k - 1)
	cr := p.cost(i.r, r)
	if cr <= cl {
		p.dec[k] |= planRight
		return c + cr
	}
	return c + cl
}

// grow builds grow(i, e) where e's parent is at b; k is the index of the
// first decision point inside i.
func (p *growPlan) grow(i *idNode, e Event, b u128, a *alloc, k int) (sub, bool) {
	v := b.add(e.n)
	if i == idOne {
		if e.k == nil {
			return sub{v: v.add(1)}, true
		}
		return sub{v: maxAbs(e, b).add(1)}, true
	}
	l, r := e.kids()
	switch {
	case i.l == nil:
		s, ok := p.grow(i.r, r, v, a, k)
		return growRight(s, ok, l, v, a)
	case i.r == nil:
		s, ok := p.grow(i.l, l, v, a, k)
		return growLeft(s, ok, r, v, a)
	case p.dec[k]&planRight != 0:
		skip := int(p.dec[k] &^ planRight)
		s, ok := p.grow(i.r, r, v, a, k+1+skip)
		return growRight(s, ok, l, v, a)
	}
	s, ok := p.grow(i.l, l, v, a, k+1)
	return growLeft(s, ok, r, v, a)
}

// growRight joins a grown right child with the unchanged left child l.
func growRight(rs sub, ok bool, l Event, v u128, a *alloc) (sub, bool) {
	if !ok {
		return sub{}, false
	}
	return mk(sub{v.add(l.n), l.k}, rs, nil, nil, a)
}

// growLeft joins a grown left child with the unchanged right child r.
func growLeft(ls sub, ok bool, r Event, v u128, a *alloc) (sub, bool) {
	if !ok {
		return sub{}, false
	}
	return mk(ls, sub{v.add(r.n), r.k}, nil, nil, a)
}

// growPruned computes grow(i, e) without a plan, for leaf events on ids
// with too many decision points to record on the stack. It recomputes
// costs on the way down, but each computation is bounded by the best cost
// known, which for a leaf event stops the search at the depth of the
// shallowest 1 in the id.
func growPruned(i *idNode, e Event) (sub, bool) {
	cost := costUpTo(i, e, ^uint64(0))
	var a alloc
	if n := cost & (growLeaf - 1); n > 0 {
		a.slab = make([]evKids, n)
	}
	return growWithin(i, e, u128{}, &a, cost)
}

// costUpTo returns the cost of grow(i, e) if it is at most limit, and
// otherwise some value above limit.
func costUpTo(i *idNode, e Event, limit uint64) uint64 {
	if i == idOne {
		return 0
	}
	c := uint64(1)
	if e.k == nil {
		c += growLeaf
	}
	if c > limit {
		return c
	}
	l, r := e.kids()
	switch {
	case i.l == nil:
		return c + costUpTo(i.r, r, limit-c)
	case i.r == nil:
		return c + costUpTo(i.l, l, limit-c)
	}
	cl := costUpTo(i.l, l, limit-c)
	cr := costUpTo(i.r, r, min(limit-c, cl))
	return c + min(cl, cr)
}

// growWithin builds grow(i, e) knowing that its cost is exactly cost.
func growWithin(i *idNode, e Event, b u128, a *alloc, cost uint64) (sub, bool) {
	v := b.add(e.n)
	if i == idOne {
		if e.k == nil {
			return sub{v: v.add(1)}, true
		}
		return sub{v: maxAbs(e, b).add(1)}, true
	}
	c := uint64(1)
	if e.k == nil {
		c += growLeaf
	}
	rest := cost - c
	l, r := e.kids()
	switch {
	case i.l == nil:
		s, ok := growWithin(i.r, r, v, a, rest)
		return growRight(s, ok, l, v, a)
	case i.r == nil:
		s, ok := growWithin(i.l, l, v, a, rest)
		return growLeft(s, ok, r, v, a)
	}
	// One side costs exactly rest; a result at most its limit is exact.
	cl := costUpTo(i.l, l, rest)
	if cr := costUpTo(i.r, r, min(rest, cl)); cr <= cl {
		s, ok := growWithin(i.r, r, v, a, cr)
		return growRight(s, ok, l, v, a)
	}
	s, ok := growWithin(i.l, l, v, a, cl)
	return growLeft(s, ok, r, v, a)
}
