package counters

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// ErrOverflow is returned by an increment that would take a replica's count
// beyond 2^64-1. The counter is left unchanged.
var ErrOverflow = errors.New("counters: count overflow")

// GCounterTypeName is the payload type name of [GCounter].
const GCounterTypeName = "counters.GCounter"

// GCounter is a grow-only counter: a count per replica, each changed only by
// its own replica, and a value that is their sum.
//
// Merge takes, for every replica, the larger of the two counts (pointwise
// maximum). A replica's count only grows, so the larger count includes every
// increment the smaller one saw; exchanging states any number of times in any
// order therefore counts each increment exactly once. The delta of Inc is a
// counter holding only the local replica's new count.
//
// Traps, and what we do about them:
//   - Identity is local. The counts are keyed by replica id, and the local id
//     comes from [NewGCounter] or payload.Unmarshal, never from a payload, so
//     a loaded and merged counter keeps incrementing its own entry instead of
//     inventing a phantom replica (TestGCounterLoadKeepsIdentity).
//   - A replica that writes on a stale copy of its own state loses those
//     increments when it later merges its newer state back: the maximum hides
//     them. Load the latest state before writing.
//   - A count cannot exceed 2^64-1: Inc returns [ErrOverflow] and changes
//     nothing (TestGCounterIncOverflow). The sum of all counts can exceed
//     2^64-1; [GCounter.Value] then saturates at math.MaxUint64 and
//     [GCounter.Big] gives the exact sum (TestGCounterValueSaturates).
//
// The payload is {"counts":[{"n":5,"r":"replica-a"},...]}, sorted by replica
// id, without zero counts. Loading rejects duplicate or empty replica ids and
// zero counts.
//
// The zero GCounter is an empty counter bound to no replica: it can be read,
// merged and loaded, but Inc fails with [crdt.ErrNoReplica].
type GCounter struct {
	replica crdt.ReplicaID
	// ids are the replicas with a non-zero count, sorted; ns[i] is the
	// count of ids[i]. Sorted slices make merge a merge-join and encoding a
	// copy, with no hashing; a new replica, the only insertion, is rare.
	ids   []crdt.ReplicaID
	ns    []uint64
	delta *GCounter
}

var _ crdt.CRDT[*GCounter, uint64] = (*GCounter)(nil)

func init() {
	payload.MustRegister(payload.Type{
		Name:    GCounterTypeName,
		Version: 1,
		New:     func(r crdt.ReplicaID) crdt.State { return NewGCounter(r) },
	})
}

// NewGCounter returns a zero counter bound to replica.
func NewGCounter(replica crdt.ReplicaID) *GCounter {
	return &GCounter{replica: replica}
}

// Replica returns the replica the counter is bound to.
func (c *GCounter) Replica() crdt.ReplicaID { return c.replica }

// Inc adds n to the local replica's count. It returns an error wrapping
// [ErrOverflow] if the count would exceed 2^64-1, and [crdt.ErrNoReplica] if
// the counter is bound to no replica; the counter is then unchanged. Inc(0)
// does nothing.
func (c *GCounter) Inc(n uint64) error {
	sum, err := c.inc(n)
	if err != nil || sum == 0 {
		return err
	}
	if c.delta == nil {
		c.delta = &GCounter{replica: c.replica}
	}
	c.delta.set(c.replica, sum)
	return nil
}

// inc is Inc without the delta: it returns the local replica's new count,
// or 0 if n is 0 and nothing changed.
func (c *GCounter) inc(n uint64) (uint64, error) {
	if err := c.replica.Validate(); err != nil {
		return 0, fmt.Errorf("counters: Inc: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	old := c.Count(c.replica)
	sum, carry := bits.Add64(old, n, 0)
	if carry != 0 {
		return 0, fmt.Errorf("%w: replica %q holds %d, adding %d", ErrOverflow, c.replica, old, n)
	}
	c.set(c.replica, sum)
	return sum, nil
}

// set sets the count of r to n > 0.
func (c *GCounter) set(r crdt.ReplicaID, n uint64) {
	i, ok := slices.BinarySearch(c.ids, r)
	if ok {
		c.ns[i] = n
		return
	}
	c.ids = slices.Insert(c.ids, i, r)
	c.ns = slices.Insert(c.ns, i, n)
}

// Count returns the count of replica r: the increments r made that this
// state has seen.
func (c *GCounter) Count(r crdt.ReplicaID) uint64 {
	if i, ok := slices.BinarySearch(c.ids, r); ok {
		return c.ns[i]
	}
	return 0
}

// Value returns the sum of all replicas' counts, or math.MaxUint64 if the sum
// exceeds it; see [GCounter.Big] for the exact sum.
func (c *GCounter) Value() uint64 {
	hi, lo := c.sum128()
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// Big returns the exact sum of all replicas' counts.
func (c *GCounter) Big() *big.Int {
	hi, lo := c.sum128()
	return u128Big(hi, lo)
}

// sum128 returns the sum of the counts as a 128-bit number. A map holds far
// fewer than 2^64 entries, so it cannot overflow.
func (c *GCounter) sum128() (hi, lo uint64) {
	for _, n := range c.ns {
		var carry uint64
		lo, carry = bits.Add64(lo, n, 0)
		hi += carry
	}
	return hi, lo
}

func u128Big(hi, lo uint64) *big.Int {
	b := new(big.Int).SetUint64(hi)
	b.Lsh(b, 64)
	return b.Or(b, new(big.Int).SetUint64(lo))
}

// Merge joins other into c: each replica's count becomes the larger of the
// two. A nil other is an empty counter. Merge never fails.
func (c *GCounter) Merge(other *GCounter) error {
	if other == nil {
		return nil
	}
	// First pass: raise the counts of replicas both know, in place, and
	// count the replicas only other knows.
	fresh := 0
	for i, j := 0, 0; j < len(other.ids); {
		switch {
		case i < len(c.ids) && c.ids[i] < other.ids[j]:
			i++
		case i < len(c.ids) && c.ids[i] == other.ids[j]:
			c.ns[i] = max(c.ns[i], other.ns[j])
			i++
			j++
		default:
			fresh++
			j++
		}
	}
	if fresh == 0 {
		return nil
	}
	// Second pass: interleave the new replicas.
	ids := make([]crdt.ReplicaID, 0, len(c.ids)+fresh)
	ns := make([]uint64, 0, len(c.ids)+fresh)
	i, j := 0, 0
	for i < len(c.ids) || j < len(other.ids) {
		switch {
		case j == len(other.ids) || (i < len(c.ids) && c.ids[i] < other.ids[j]):
			ids, ns = append(ids, c.ids[i]), append(ns, c.ns[i])
			i++
		case i == len(c.ids) || other.ids[j] < c.ids[i]:
			ids, ns = append(ids, other.ids[j]), append(ns, other.ns[j])
			j++
		default: // equal, already raised
			ids, ns = append(ids, c.ids[i]), append(ns, c.ns[i])
			i++
			j++
		}
	}
	c.ids, c.ns = ids, ns
	return nil
}

// Clone returns a deep copy bound to the same replica, without the pending
// delta.
func (c *GCounter) Clone() *GCounter {
	return &GCounter{replica: c.replica, ids: slices.Clone(c.ids), ns: slices.Clone(c.ns)}
}

// TakeDelta returns the join of the deltas of the increments since the last
// call, a counter holding only the local replica's latest count, and forgets
// it. ok is false if there was no increment.
func (c *GCounter) TakeDelta() (*GCounter, bool) {
	d := c.delta
	c.delta = nil
	return d, d != nil
}

// TypeName returns "counters.GCounter".
func (c *GCounter) TypeName() string { return GCounterTypeName }

// MergeState merges other, which must be a *GCounter.
func (c *GCounter) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*GCounter](c, other)
}

// CloneState is [GCounter.Clone] as a [crdt.State].
func (c *GCounter) CloneState() crdt.State { return c.Clone() }

// TakeDeltaState is [GCounter.TakeDelta] as a [crdt.State].
func (c *GCounter) TakeDeltaState() (crdt.State, bool) {
	d, ok := c.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type gcounterPayload struct {
	Counts []countEntry `json:"counts"`
}

type countEntry struct {
	N uint64         `json:"n"`
	R crdt.ReplicaID `json:"r"`
}

// Payload returns the canonical JSON form {"counts":[{"n":N,"r":ID},...]},
// sorted by replica id, zero counts left out.
func (c *GCounter) Payload() any { return c.payload() }

func (c *GCounter) payload() *gcounterPayload {
	entries := make([]countEntry, len(c.ids))
	for i, r := range c.ids {
		entries[i] = countEntry{N: c.ns[i], R: r}
	}
	return &gcounterPayload{Counts: entries}
}

// LoadPayload replaces the counts with those in data, keeping the counter's
// replica and dropping any pending delta. It rejects a missing counts array,
// empty or duplicate replica ids and zero counts; on error c is unchanged.
func (c *GCounter) LoadPayload(data []byte) error {
	var p gcounterPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	ids, ns, err := p.counts("counts")
	if err != nil {
		return err
	}
	c.ids, c.ns, c.delta = ids, ns, nil
	return nil
}

// counts validates the entries of a payload, field, and returns them as
// sorted replica ids and their counts.
func (p *gcounterPayload) counts(field string) ([]crdt.ReplicaID, []uint64, error) {
	if p.Counts == nil {
		return nil, nil, payload.Invalidf(field, "missing (an empty counter has [])")
	}
	es := p.Counts
	sorted := true
	for i, e := range es {
		switch {
		case e.R == "":
			return nil, nil, payload.Invalidf(payload.Index(field, i)+".r", "empty replica id")
		case e.N == 0:
			return nil, nil, payload.Invalidf(payload.Index(field, i)+".n", "zero count (zero counts are left out)")
		case i > 0 && es[i-1].R == e.R:
			return nil, nil, payload.Invalidf(payload.Index(field, i)+".r", "duplicate replica id %q", e.R)
		case i > 0 && es[i-1].R > e.R:
			sorted = false
		}
	}
	if !sorted {
		// Entries out of order: find a duplicate by its first repetition,
		// then sort a copy.
		seen := make(map[crdt.ReplicaID]struct{}, len(es))
		for i, e := range es {
			if _, dup := seen[e.R]; dup {
				return nil, nil, payload.Invalidf(payload.Index(field, i)+".r", "duplicate replica id %q", e.R)
			}
			seen[e.R] = struct{}{}
		}
		es = slices.Clone(es)
		slices.SortFunc(es, func(a, b countEntry) int { return cmp.Compare(a.R, b.R) })
	}
	ids := make([]crdt.ReplicaID, len(es))
	ns := make([]uint64, len(es))
	for i, e := range es {
		ids[i], ns[i] = e.R, e.N
	}
	return ids, ns, nil
}
