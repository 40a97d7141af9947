package causal

import (
	"github.com/crdtkit/crdtkit/crdt"
)

// DotChecker validates the dots of a decoded dot store against the store's
// context: every dot must be valid, seen by the context (a dot beyond the
// causal context would be an add nobody recorded) and used only once (a dot
// names one update of one entry). It is built for decoders: for the common
// case, dots below a vector entry, it uses a bit per counter instead of a
// set of dots.
type DotChecker struct {
	ctx    *Context
	budget uint64 // bits still allowed for bitmaps
	bits   map[crdt.ReplicaID][]uint64
	other  map[Dot]struct{} // dots not tracked by a bitmap

	lastR    crdt.ReplicaID
	lastMax  uint64
	lastBits []uint64
	lastOK   bool
}

// NewDotChecker returns a checker for the dots of a store whose context is
// ctx and which holds about n dots. The memory it uses is bounded by a small
// multiple of n, whatever the context claims.
func NewDotChecker(ctx *Context, n int) *DotChecker {
	return &DotChecker{ctx: ctx, budget: 64*uint64(max(n, 0)) + 4096}
}

// Check validates d and records it. It returns an error wrapping
// payload.ErrInvalid: a [payload.FieldError] naming "r" or "n" for an invalid
// dot, and one with an empty field for a dot beyond the context or seen
// before (wrap it with payload.InField to place it).
func (c *DotChecker) Check(d Dot) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if !c.lastOK || d.Replica != c.lastR {
		c.switchTo(d.Replica)
	}
	if d.Counter <= c.lastMax && c.lastBits != nil {
		i, bit := (d.Counter-1)/64, uint64(1)<<((d.Counter-1)%64)
		if c.lastBits[i]&bit != 0 {
			return invalidf("", "dot %s listed twice (a dot names one update of one entry)", d)
		}
		c.lastBits[i] |= bit
		return nil
	}
	if d.Counter > c.lastMax && !c.ctx.Contains(d) {
		return invalidf("", "dot %s beyond its causal context", d)
	}
	if c.other == nil {
		c.other = make(map[Dot]struct{})
	}
	if _, dup := c.other[d]; dup {
		return invalidf("", "dot %s listed twice (a dot names one update of one entry)", d)
	}
	c.other[d] = struct{}{}
	return nil
}

// switchTo makes r the replica whose vector entry and bitmap are cached.
func (c *DotChecker) switchTo(r crdt.ReplicaID) {
	c.lastR, c.lastOK = r, true
	c.lastMax = c.ctx.vv[r]
	c.lastBits = nil
	if b, ok := c.bits[r]; ok {
		c.lastBits = b
		return
	}
	if c.lastMax == 0 || c.lastMax > c.budget {
		return // tracked in the map instead
	}
	c.budget -= c.lastMax
	if c.bits == nil {
		c.bits = make(map[crdt.ReplicaID][]uint64)
	}
	c.lastBits = make([]uint64, (c.lastMax+63)/64)
	c.bits[r] = c.lastBits
}
