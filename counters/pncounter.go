package counters

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// PNCounterTypeName is the payload type name of [PNCounter].
const PNCounterTypeName = "counters.PNCounter"

// PNCounter is a counter that goes up and down: a pair of grow-only counters,
// P for the increments and N for the decrements, whose value is P - N.
//
// Merge merges P with P and N with N, each by pointwise maximum (see
// [GCounter]); a decrement is an increment of N, so it too is counted exactly
// once however states travel. The delta of Inc or Dec is a PNCounter holding
// only the local replica's new count in P or N.
//
// Traps, and what we do about them:
//   - The value can leave the int64 range: P and N are each a sum of up to
//     2^64-1 per replica. [PNCounter.Value] saturates at math.MaxInt64 or
//     math.MinInt64 and never fails; [PNCounter.Big] gives the exact value
//     (TestPNCounterValueSaturates).
//   - Each replica's increments and decrements are bounded by 2^64-1 each;
//     Inc and Dec return [ErrOverflow] beyond and change nothing.
//   - Identity is local, as for GCounter.
//
// The payload is {"n":{"counts":[...]},"p":{"counts":[...]}}, each part in the
// GCounter form.
//
// The zero PNCounter is an empty counter bound to no replica: it can be read,
// merged and loaded, but Inc and Dec fail with [crdt.ErrNoReplica].
type PNCounter struct {
	p, n  GCounter
	delta *PNCounter
}

var _ crdt.CRDT[*PNCounter, int64] = (*PNCounter)(nil)

func init() {
	payload.MustRegister(payload.Type{
		Name:    PNCounterTypeName,
		Version: 1,
		New:     func(r crdt.ReplicaID) crdt.State { return NewPNCounter(r) },
	})
}

// NewPNCounter returns a zero counter bound to replica.
func NewPNCounter(replica crdt.ReplicaID) *PNCounter {
	return &PNCounter{p: *NewGCounter(replica), n: *NewGCounter(replica)}
}

// Replica returns the replica the counter is bound to.
func (c *PNCounter) Replica() crdt.ReplicaID { return c.p.replica }

// Inc adds n to the counter. It returns an error wrapping [ErrOverflow] if
// the local replica's increments would exceed 2^64-1 in total, and
// [crdt.ErrNoReplica] if the counter is bound to no replica; the counter is
// then unchanged.
func (c *PNCounter) Inc(n uint64) error {
	return c.add(&c.p, n, func(d *PNCounter) *GCounter { return &d.p })
}

// Dec subtracts n from the counter. It returns an error wrapping
// [ErrOverflow] if the local replica's decrements would exceed 2^64-1 in
// total, and [crdt.ErrNoReplica] if the counter is bound to no replica; the
// counter is then unchanged.
func (c *PNCounter) Dec(n uint64) error {
	return c.add(&c.n, n, func(d *PNCounter) *GCounter { return &d.n })
}

func (c *PNCounter) add(g *GCounter, n uint64, part func(*PNCounter) *GCounter) error {
	sum, err := g.inc(n)
	if err != nil || sum == 0 {
		return err
	}
	if c.delta == nil {
		c.delta = &PNCounter{p: GCounter{replica: c.p.replica}, n: GCounter{replica: c.p.replica}}
	}
	part(c.delta).set(c.p.replica, sum)
	return nil
}

// Incs returns the local view of P, the increments of every replica, as a
// read-only GCounter copy.
func (c *PNCounter) Incs() *GCounter { return c.p.Clone() }

// Decs returns the local view of N, the decrements of every replica, as a
// read-only GCounter copy.
func (c *PNCounter) Decs() *GCounter { return c.n.Clone() }

// Value returns the sum of the increments minus the sum of the decrements,
// saturated to the int64 range: math.MaxInt64 if the true value is larger,
// math.MinInt64 if it is smaller. [PNCounter.Big] gives the exact value.
func (c *PNCounter) Value() int64 {
	ph, pl := c.p.sum128()
	nh, nl := c.n.sum128()
	if ph > nh || (ph == nh && pl >= nl) {
		lo, borrow := bits.Sub64(pl, nl, 0)
		hi := ph - nh - borrow
		if hi != 0 || lo > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(lo)
	}
	lo, borrow := bits.Sub64(nl, pl, 0)
	hi := nh - ph - borrow
	if hi != 0 || lo > 1<<63 {
		return math.MinInt64
	}
	return int64(-lo) // -lo wraps to the two's complement, also for 1<<63
}

// Big returns the exact value: the sum of the increments minus the sum of
// the decrements.
func (c *PNCounter) Big() *big.Int {
	return new(big.Int).Sub(c.p.Big(), c.n.Big())
}

// Merge joins other into c, P with P and N with N. A nil other is an empty
// counter. Merge never fails.
func (c *PNCounter) Merge(other *PNCounter) error {
	if other == nil {
		return nil
	}
	_ = c.p.Merge(&other.p)
	_ = c.n.Merge(&other.n)
	return nil
}

// Clone returns a deep copy bound to the same replica, without the pending
// delta.
func (c *PNCounter) Clone() *PNCounter {
	return &PNCounter{p: *c.p.Clone(), n: *c.n.Clone()}
}

// TakeDelta returns the join of the deltas of the increments and decrements
// since the last call and forgets it; ok is false if there was none.
func (c *PNCounter) TakeDelta() (*PNCounter, bool) {
	d := c.delta
	c.delta = nil
	return d, d != nil
}

// TypeName returns "counters.PNCounter".
func (c *PNCounter) TypeName() string { return PNCounterTypeName }

// MergeState merges other, which must be a *PNCounter.
func (c *PNCounter) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*PNCounter](c, other)
}

// CloneState is [PNCounter.Clone] as a [crdt.State].
func (c *PNCounter) CloneState() crdt.State { return c.Clone() }

// TakeDeltaState is [PNCounter.TakeDelta] as a [crdt.State].
func (c *PNCounter) TakeDeltaState() (crdt.State, bool) {
	d, ok := c.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type pncounterPayload struct {
	N *gcounterPayload `json:"n"`
	P *gcounterPayload `json:"p"`
}

// Payload returns the canonical JSON form {"n":{"counts":[...]},"p":{"counts":[...]}}.
func (c *PNCounter) Payload() any { return c.payload() }

func (c *PNCounter) payload() *pncounterPayload {
	return &pncounterPayload{N: c.n.payload(), P: c.p.payload()}
}

// LoadPayload replaces the counts with those in data, keeping the counter's
// replica and dropping any pending delta. Each part is checked as for
// [GCounter.LoadPayload]; on error c is unchanged.
func (c *PNCounter) LoadPayload(data []byte) error {
	var pl pncounterPayload
	if err := payload.DecodeStrict(data, &pl); err != nil {
		return err
	}
	if pl.N == nil {
		return payload.Invalidf("n", "missing")
	}
	if pl.P == nil {
		return payload.Invalidf("p", "missing")
	}
	nIDs, nNs, err := pl.N.counts("counts")
	if err != nil {
		return payload.InField("n", err)
	}
	pIDs, pNs, err := pl.P.counts("counts")
	if err != nil {
		return payload.InField("p", err)
	}
	c.p.ids, c.p.ns = pIDs, pNs
	c.n.ids, c.n.ns = nIDs, nNs
	c.delta = nil
	return nil
}
