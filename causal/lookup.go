package causal

import "github.com/crdtkit/crdtkit/crdt"

// smallVector is the largest vector that a lookup scans linearly.
const smallVector = 8

// lookup answers Contains for one context during a join. With few replicas
// a linear scan of a copy of the vector beats hashing the replica id for
// every dot.
type lookup struct {
	c     *Context
	small bool
	k     int
	rs    [smallVector]crdt.ReplicaID
	ns    [smallVector]uint64
}

func newLookup(c *Context) *lookup {
	l := &lookup{c: c}
	if len(c.vv) <= smallVector {
		l.small = true
		for r, n := range c.vv {
			l.rs[l.k], l.ns[l.k] = r, n
			l.k++
		}
	}
	return l
}

func (l *lookup) contains(d Dot) bool {
	if !l.small {
		return l.c.Contains(d)
	}
	for i := 0; i < l.k; i++ {
		if l.rs[i] == d.Replica {
			if d.Counter <= l.ns[i] {
				return true
			}
			break
		}
	}
	if l.c.ncloud == 0 {
		return false
	}
	_, ok := l.c.cloud[d.Replica][d.Counter]
	return ok
}

// anyIn reports whether l's context has seen some dot of s.
func (s Slots[P]) anyIn(l *lookup) bool {
	if s.more == nil {
		return s.one.Dot.Counter != 0 && l.contains(s.one.Dot)
	}
	for _, e := range *s.more {
		if l.contains(e.Dot) {
			return true
		}
	}
	return false
}

// without is [Slots.Without] with a lookup.
func (s Slots[P]) without(l *lookup) Slots[P] {
	if s.more == nil {
		if s.one.Dot.Counter == 0 || l.contains(s.one.Dot) {
			return Slots[P]{}
		}
		return s
	}
	var keep []Slot[P]
	for i, e := range *s.more {
		if l.contains(e.Dot) {
			if keep == nil {
				keep = make([]Slot[P], i, len(*s.more)-1)
				copy(keep, (*s.more)[:i])
			}
			continue
		}
		if keep != nil {
			keep = append(keep, e)
		}
	}
	if keep == nil {
		return s
	}
	return fromSorted(keep)
}
