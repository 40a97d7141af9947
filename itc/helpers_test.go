package itc

// overlaps reports whether a and b share part of the interval.
func overlaps(a, b *idNode) bool {
	switch {
	case a == nil || b == nil:
		return false
	case a == idOne || b == idOne:
		return true
	}
	return overlaps(a.l, b.l) || overlaps(a.r, b.r)
}

// depth returns the number of levels of the id: 1 for a leaf.
func (i ID) depth() int { return idDepth(i.p) }

func idDepth(p *idNode) int {
	if p == nil || p == idOne {
		return 1
	}
	return 1 + max(idDepth(p.l), idDepth(p.r))
}

// depth returns the number of levels of e: 1 for a leaf.
func (e Event) depth() int {
	if e.k == nil {
		return 1
	}
	return 1 + max(e.k.l.depth(), e.k.r.depth())
}
