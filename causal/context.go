package causal

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
)

// ErrExhausted is returned by [Context.Next] when a replica has used every
// dot counter up to [MaxCounter].
var ErrExhausted = errors.New("causal: dot counters exhausted")

// Context is a causal context: the set of dots a replica has seen, whether
// their updates are still visible or were overwritten or removed since.
//
// It is kept in compact form: a version vector maps each replica to the
// largest counter n such that dots 1..n of that replica are all in the
// context, and a cloud holds the few dots seen out of order (beyond a gap).
// Every method leaves the context compact (no cloud dot is covered by, or
// directly follows, its replica's vector entry), so a context has exactly one
// representation: equal contexts have equal payloads, and the size of a
// context is one vector entry per replica plus only the dots that are
// genuinely missing their predecessors. It does not grow with history.
//
// Costs: [Context.Contains], [Context.Add] and [Context.Next] are O(1)
// (amortised). [Context.Merge] costs O(vector + cloud) of the argument, plus
// the cloud dots of the receiver that the merge covers or folds into the
// vector: never the receiver's whole cloud.
//
// The zero Context is empty and ready to use. A Context is not safe for
// concurrent use.
type Context struct {
	vv     map[crdt.ReplicaID]uint64
	cloud  map[crdt.ReplicaID]map[uint64]struct{} // per replica, counters beyond vv+1
	ncloud int                                    // dots in cloud
}

// NewContext returns a context holding dots (which must be valid).
func NewContext(dots ...Dot) *Context {
	c := new(Context)
	for _, d := range dots {
		c.Add(d)
	}
	return c
}

// Contains reports whether the context has seen d.
func (c *Context) Contains(d Dot) bool {
	if d.Counter <= c.vv[d.Replica] {
		return true
	}
	if c.ncloud == 0 {
		return false
	}
	_, ok := c.cloud[d.Replica][d.Counter]
	return ok
}

// Max returns the vector entry of replica: the largest n such that dots 1..n
// of replica are all in the context (0 if none).
func (c *Context) Max(replica crdt.ReplicaID) uint64 { return c.vv[replica] }

// Next allocates the next dot of replica, records it in the context and
// returns it. The new dot's counter is one more than the largest counter of
// replica the context holds, so a replica that allocates all its dots
// through its own context never reuses one. It returns [crdt.ErrNoReplica]
// for an empty replica and [ErrExhausted] when the replica's counters have
// reached [MaxCounter] (only a forged payload gets there); the context is
// then unchanged.
func (c *Context) Next(replica crdt.ReplicaID) (Dot, error) {
	if err := replica.Validate(); err != nil {
		return Dot{}, err
	}
	n := c.vv[replica]
	// A cloud dot of the replica itself only exists if its identity was
	// reused after a loss; skipping past it avoids issuing a dot twice.
	for k := range c.cloud[replica] {
		n = max(n, k)
	}
	if n >= MaxCounter {
		return Dot{}, fmt.Errorf("%w: replica %q", ErrExhausted, replica)
	}
	d := Dot{Replica: replica, Counter: n + 1}
	c.Add(d)
	return d, nil
}

// Add records d in the context. It panics if d is not a valid dot (empty
// replica, counter 0 or above [MaxCounter]).
func (c *Context) Add(d Dot) {
	mustValid(d)
	v := c.vv[d.Replica]
	switch {
	case d.Counter <= v:
	case d.Counter == v+1:
		c.raise(d.Replica, v, d.Counter)
	default:
		c.addCloud(d)
	}
}

// addCloud puts d, which lies beyond its replica's vector entry plus one,
// into the cloud.
func (c *Context) addCloud(d Dot) {
	if c.cloud == nil {
		c.cloud = make(map[crdt.ReplicaID]map[uint64]struct{})
	}
	rc := c.cloud[d.Replica]
	if rc == nil {
		rc = make(map[uint64]struct{})
		c.cloud[d.Replica] = rc
	}
	if _, ok := rc[d.Counter]; !ok {
		rc[d.Counter] = struct{}{}
		c.ncloud++
	}
}

// raise sets the vector entry of r, which was old, to n > old, and restores
// the compact form for r: it drops the cloud dots of r that n now covers and
// folds into the vector the run of cloud dots that directly follows n. It
// visits only those dots (or the counters old+1..n, when fewer), not the
// rest of the cloud.
func (c *Context) raise(r crdt.ReplicaID, old, n uint64) {
	if rc := c.cloud[r]; len(rc) > 0 {
		if uint64(len(rc)) <= n-old {
			for k := range rc {
				if k <= n {
					delete(rc, k)
					c.ncloud--
				}
			}
		} else {
			for k := old + 1; k <= n; k++ {
				if _, ok := rc[k]; ok {
					delete(rc, k)
					c.ncloud--
				}
			}
		}
		for {
			if _, ok := rc[n+1]; !ok {
				break
			}
			delete(rc, n+1)
			c.ncloud--
			n++
		}
		if len(rc) == 0 {
			delete(c.cloud, r)
		}
	}
	if c.vv == nil {
		c.vv = make(map[crdt.ReplicaID]uint64)
	}
	c.vv[r] = n
}

// AddSet records every dot of s.
func (c *Context) AddSet(s DotSet) {
	for d := range s.All() {
		c.Add(d)
	}
}

// Merge records every dot of o in c (set union). o is not changed and
// nothing of it is kept.
func (c *Context) Merge(o *Context) {
	if o == c || o == nil {
		return
	}
	for r, n := range o.vv {
		if old := c.vv[r]; n > old {
			c.raise(r, old, n)
		}
	}
	for r, rc := range o.cloud {
		for k := range rc {
			c.Add(Dot{Replica: r, Counter: k})
		}
	}
}

// Clone returns a deep copy of c.
func (c *Context) Clone() *Context {
	n := &Context{ncloud: c.ncloud}
	if len(c.vv) > 0 {
		n.vv = maps.Clone(c.vv)
	}
	if c.ncloud > 0 {
		n.cloud = make(map[crdt.ReplicaID]map[uint64]struct{}, len(c.cloud))
		for r, rc := range c.cloud {
			n.cloud[r] = maps.Clone(rc)
		}
	}
	return n
}

// Equal reports whether c and o hold the same dots.
func (c *Context) Equal(o *Context) bool {
	if len(c.vv) != len(o.vv) || c.ncloud != o.ncloud {
		return false
	}
	for r, n := range c.vv {
		if m, ok := o.vv[r]; !ok || m != n {
			return false
		}
	}
	for r, rc := range c.cloud {
		orc := o.cloud[r]
		for k := range rc {
			if _, ok := orc[k]; !ok {
				return false
			}
		}
	}
	return true
}

// IsEmpty reports whether the context holds no dot.
func (c *Context) IsEmpty() bool { return len(c.vv) == 0 && c.ncloud == 0 }

// Size returns the number of vector entries (replicas with a contiguous run
// of dots from 1) and of cloud dots: the size of the context's payload.
func (c *Context) Size() (vector, cloud int) { return len(c.vv), c.ncloud }

// Dots returns the number of dots the context holds: the sum of its vector
// entries plus its cloud, saturating at the largest uint64.
func (c *Context) Dots() uint64 {
	n := uint64(c.ncloud)
	for _, v := range c.vv {
		if n+v < n {
			return ^uint64(0)
		}
		n += v
	}
	return n
}

// Vector returns the version vector in order of replica id: for each replica,
// the largest n such that its dots 1..n are in the context.
func (c *Context) Vector() iter.Seq2[crdt.ReplicaID, uint64] {
	return func(yield func(crdt.ReplicaID, uint64) bool) {
		for _, r := range slices.Sorted(maps.Keys(c.vv)) {
			if !yield(r, c.vv[r]) {
				return
			}
		}
	}
}

// Cloud returns the dots held outside the version vector, in [Dot.Compare]
// order.
func (c *Context) Cloud() iter.Seq[Dot] {
	return func(yield func(Dot) bool) {
		for _, d := range c.cloudDots() {
			if !yield(d) {
				return
			}
		}
	}
}

// cloudDots returns the cloud's dots in [Dot.Compare] order.
func (c *Context) cloudDots() []Dot {
	out := make([]Dot, 0, c.ncloud)
	for r, rc := range c.cloud {
		for k := range rc {
			out = append(out, Dot{Replica: r, Counter: k})
		}
	}
	slices.SortFunc(out, Dot.Compare)
	return out
}
