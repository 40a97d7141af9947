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
// Costs: [Context.Contains] and [Context.Add] are O(1) (amortised),
// [Context.Merge] is O(vector + cloud) of the argument plus the cloud of the
// receiver.
//
// The zero Context is empty and ready to use. A Context is not safe for
// concurrent use.
type Context struct {
	vv    map[crdt.ReplicaID]uint64
	cloud map[Dot]struct{}
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
	if len(c.cloud) == 0 {
		return false
	}
	_, ok := c.cloud[d]
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
	for d := range c.cloud {
		if d.Replica == replica && d.Counter > n {
			n = d.Counter
		}
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
		return
	case d.Counter == v+1:
		n := d.Counter
		if len(c.cloud) > 0 {
			n = c.absorb(d.Replica, n)
		}
		if c.vv == nil {
			c.vv = make(map[crdt.ReplicaID]uint64)
		}
		c.vv[d.Replica] = n
	default:
		if c.cloud == nil {
			c.cloud = make(map[Dot]struct{})
		}
		c.cloud[d] = struct{}{}
	}
}

// absorb removes from the cloud the dots of replica that directly follow n,
// n+1, ... and returns the last counter of that contiguous run.
func (c *Context) absorb(replica crdt.ReplicaID, n uint64) uint64 {
	for {
		next := Dot{Replica: replica, Counter: n + 1}
		if _, ok := c.cloud[next]; !ok {
			return n
		}
		delete(c.cloud, next)
		n++
	}
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
	if len(o.vv) > 0 && c.vv == nil {
		c.vv = make(map[crdt.ReplicaID]uint64, len(o.vv))
	}
	raised := false
	for r, n := range o.vv {
		if n > c.vv[r] {
			c.vv[r] = n
			raised = true
		}
	}
	for d := range o.cloud {
		if d.Counter > c.vv[d.Replica] {
			if c.cloud == nil {
				c.cloud = make(map[Dot]struct{}, len(o.cloud))
			}
			c.cloud[d] = struct{}{}
		}
	}
	if len(c.cloud) > 0 && (raised || len(o.cloud) > 0) {
		c.compact()
	}
}

// compact restores the compact form: it drops cloud dots covered by the
// vector and folds runs that continue a vector entry into it. Each cloud dot
// is visited or deleted at most once, so it costs O(cloud).
func (c *Context) compact() {
	for d := range c.cloud {
		v := c.vv[d.Replica]
		switch {
		case d.Counter <= v:
			delete(c.cloud, d)
		case d.Counter == v+1:
			delete(c.cloud, d)
			if c.vv == nil {
				c.vv = make(map[crdt.ReplicaID]uint64)
			}
			c.vv[d.Replica] = c.absorb(d.Replica, d.Counter)
		}
	}
}

// Clone returns a deep copy of c.
func (c *Context) Clone() *Context {
	n := new(Context)
	if len(c.vv) > 0 {
		n.vv = maps.Clone(c.vv)
	}
	if len(c.cloud) > 0 {
		n.cloud = maps.Clone(c.cloud)
	}
	return n
}

// Equal reports whether c and o hold the same dots.
func (c *Context) Equal(o *Context) bool {
	if len(c.vv) != len(o.vv) || len(c.cloud) != len(o.cloud) {
		return false
	}
	for r, n := range c.vv {
		if m, ok := o.vv[r]; !ok || m != n {
			return false
		}
	}
	for d := range c.cloud {
		if _, ok := o.cloud[d]; !ok {
			return false
		}
	}
	return true
}

// IsEmpty reports whether the context holds no dot.
func (c *Context) IsEmpty() bool { return len(c.vv) == 0 && len(c.cloud) == 0 }

// Size returns the number of vector entries (replicas with a contiguous run
// of dots from 1) and of cloud dots: the size of the context's payload.
func (c *Context) Size() (vector, cloud int) { return len(c.vv), len(c.cloud) }

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
		for _, d := range slices.SortedFunc(maps.Keys(c.cloud), Dot.Compare) {
			if !yield(d) {
				return
			}
		}
	}
}
