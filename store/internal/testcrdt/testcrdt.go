// Package testcrdt holds two tiny CRDTs used by the store conformance suite
// and its worker processes: a grow-only counter ([Tally]) and a grow-only set
// of strings ([GSet]). They follow the crdt contract closely enough to be
// stored, merged and decoded strictly, and keep the store tests independent
// of the library's own CRDT packages.
package testcrdt

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// Type names of the test CRDTs.
const (
	TallyType = "testcrdt.Tally"
	GSetType  = "testcrdt.GSet"
)

func init() {
	payload.MustRegister(payload.Type{Name: TallyType, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return NewTally(r) }})
	payload.MustRegister(payload.Type{Name: GSetType, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return NewGSet(r) }})
}

// Tally is a grow-only counter: one count per replica, merged by maximum.
type Tally struct {
	replica crdt.ReplicaID
	counts  map[crdt.ReplicaID]uint64
	delta   *Tally
}

var _ crdt.CRDT[*Tally, uint64] = (*Tally)(nil)

// NewTally returns a zero tally bound to replica.
func NewTally(replica crdt.ReplicaID) *Tally {
	return &Tally{replica: replica, counts: map[crdt.ReplicaID]uint64{}}
}

// Replica returns the replica the tally is bound to.
func (t *Tally) Replica() crdt.ReplicaID { return t.replica }

// Inc adds n to the local replica's count.
func (t *Tally) Inc(n uint64) {
	t.counts[t.replica] += n
	if t.delta == nil {
		t.delta = NewTally(t.replica)
	}
	t.delta.counts[t.replica] = t.counts[t.replica]
}

// Count returns replica r's count.
func (t *Tally) Count(r crdt.ReplicaID) uint64 { return t.counts[r] }

// Value returns the sum of the counts.
func (t *Tally) Value() uint64 {
	var s uint64
	for _, n := range t.counts {
		s += n
	}
	return s
}

// Merge takes the per-replica maximum.
func (t *Tally) Merge(o *Tally) error {
	for r, n := range o.counts {
		if n > t.counts[r] {
			t.counts[r] = n
		}
	}
	return nil
}

// Clone returns a copy without pending delta.
func (t *Tally) Clone() *Tally {
	return &Tally{replica: t.replica, counts: maps.Clone(t.counts)}
}

// TakeDelta returns and clears the pending delta.
func (t *Tally) TakeDelta() (*Tally, bool) {
	d := t.delta
	t.delta = nil
	return d, d != nil
}

// TypeName returns [TallyType].
func (t *Tally) TypeName() string { return TallyType }

// MergeState merges another *Tally.
func (t *Tally) MergeState(o crdt.State) error { return crdt.MergeStateAs[*Tally](t, o) }

// CloneState returns Clone.
func (t *Tally) CloneState() crdt.State { return t.Clone() }

// TakeDeltaState returns TakeDelta.
func (t *Tally) TakeDeltaState() (crdt.State, bool) {
	d, ok := t.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type tallyEntry struct {
	N uint64         `json:"n"`
	R crdt.ReplicaID `json:"r"`
}

type tallyPayload struct {
	Counts []tallyEntry `json:"counts"`
}

// Payload returns the counts sorted by replica.
func (t *Tally) Payload() any {
	p := &tallyPayload{Counts: []tallyEntry{}}
	for _, r := range slices.Sorted(maps.Keys(t.counts)) {
		p.Counts = append(p.Counts, tallyEntry{N: t.counts[r], R: r})
	}
	return p
}

// LoadPayload replaces the counts; replicas must be non-empty, unique and
// sorted, counts non-zero.
func (t *Tally) LoadPayload(data []byte) error {
	var p tallyPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.Counts == nil {
		return payload.Invalidf("counts", "missing")
	}
	counts := make(map[crdt.ReplicaID]uint64, len(p.Counts))
	for i, e := range p.Counts {
		f := payload.Index("counts", i)
		switch {
		case e.R == "":
			return payload.Invalidf(f+".r", "empty replica")
		case e.N == 0:
			return payload.Invalidf(f+".n", "zero count")
		case i > 0 && cmp.Compare(p.Counts[i-1].R, e.R) >= 0:
			return payload.Invalidf(f+".r", "replicas not sorted or duplicated")
		}
		counts[e.R] = e.N
	}
	t.counts, t.delta = counts, nil
	return nil
}

// GSet is a grow-only set of strings, merged by union.
type GSet struct {
	elems map[string]struct{}
	delta *GSet
}

var _ crdt.CRDT[*GSet, []string] = (*GSet)(nil)

// NewGSet returns an empty set; it needs no replica id.
func NewGSet(crdt.ReplicaID) *GSet { return &GSet{elems: map[string]struct{}{}} }

// Add adds e.
func (s *GSet) Add(e string) {
	s.elems[e] = struct{}{}
	if s.delta == nil {
		s.delta = NewGSet("")
	}
	s.delta.elems[e] = struct{}{}
}

// Has reports whether e is in the set.
func (s *GSet) Has(e string) bool { _, ok := s.elems[e]; return ok }

// Len returns the number of elements.
func (s *GSet) Len() int { return len(s.elems) }

// Value returns the sorted elements.
func (s *GSet) Value() []string { return slices.Sorted(maps.Keys(s.elems)) }

// Merge takes the union.
func (s *GSet) Merge(o *GSet) error {
	for e := range o.elems {
		s.elems[e] = struct{}{}
	}
	return nil
}

// Clone returns a copy without pending delta.
func (s *GSet) Clone() *GSet { return &GSet{elems: maps.Clone(s.elems)} }

// TakeDelta returns and clears the pending delta.
func (s *GSet) TakeDelta() (*GSet, bool) {
	d := s.delta
	s.delta = nil
	return d, d != nil
}

// TypeName returns [GSetType].
func (s *GSet) TypeName() string { return GSetType }

// MergeState merges another *GSet.
func (s *GSet) MergeState(o crdt.State) error { return crdt.MergeStateAs[*GSet](s, o) }

// CloneState returns Clone.
func (s *GSet) CloneState() crdt.State { return s.Clone() }

// TakeDeltaState returns TakeDelta.
func (s *GSet) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type gsetPayload struct {
	Elems []string `json:"elems"`
}

// Payload returns the sorted elements.
func (s *GSet) Payload() any { return &gsetPayload{Elems: s.Value()} }

// LoadPayload replaces the elements; they must be sorted and unique.
func (s *GSet) LoadPayload(data []byte) error {
	var p gsetPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if p.Elems == nil {
		return payload.Invalidf("elems", "missing")
	}
	elems := make(map[string]struct{}, len(p.Elems))
	for i, e := range p.Elems {
		if i > 0 && p.Elems[i-1] >= e {
			return payload.Invalidf(payload.Index("elems", i), "elements not sorted or duplicated")
		}
		elems[e] = struct{}{}
	}
	s.elems, s.delta = elems, nil
	return nil
}

// String describes the set for test failures.
func (s *GSet) String() string { return fmt.Sprintf("GSet(%d)", len(s.elems)) }
