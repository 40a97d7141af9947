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
	if len(l.c.cloud) == 0 {
		return false
	}
	_, ok := l.c.cloud[d]
	return ok
}

// anyIn reports whether l's context has seen some dot of s.
func (s DotSet) anyIn(l *lookup) bool {
	if s.more == nil {
		return s.one.Counter != 0 && l.contains(s.one)
	}
	for _, d := range *s.more {
		if l.contains(d) {
			return true
		}
	}
	return false
}

// without is [DotSet.Without] with a lookup.
func (s DotSet) without(l *lookup) DotSet {
	if s.more == nil {
		if s.one.Counter == 0 || l.contains(s.one) {
			return DotSet{}
		}
		return s
	}
	var keep []Dot
	for i, d := range *s.more {
		if l.contains(d) {
			if keep == nil {
				keep = make([]Dot, i, len(*s.more)-1)
				copy(keep, (*s.more)[:i])
			}
			continue
		}
		if keep != nil {
			keep = append(keep, d)
		}
	}
	if keep == nil {
		return s
	}
	return fromSorted(keep)
}
