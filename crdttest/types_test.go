package crdttest_test

// Small CRDTs for testing the checker: correct ones it must pass and broken
// ones it must catch. Each broken variant carries one deliberate bug,
// selected by its registered name.

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// bug selects a deliberate defect.
type bug int

const (
	correct        bug = iota
	lastMergeWins      // register: merge takes the argument's value (not commutative)
	sumOnMerge         // register: merge adds the argument's value (not idempotent)
	aliasMerge         // set: an empty receiver adopts the argument's map
	forgetDelta        // set: adds of elements >= 2 record no delta
	lossyPayload       // set: the payload leaves out element 0
	crossedField       // pair: merges field B from the other's field A
	ownerInPayload     // ctr: the payload carries the writer's id and loading adopts it
	freshIDOnLoad      // ctr: loading binds the state to a new random id
	shallowClone       // set: Clone shares the element map
	lenientMerge       // set: MergeState ignores a state of another type
	nonAssociative     // register: merge takes the mean (not associative)
	selfInEmpty        // ctr: New already counts one increment of its own replica
)

var bugNames = map[bug]string{
	correct: "", lastMergeWins: "LastMergeWins", sumOnMerge: "SumOnMerge", aliasMerge: "AliasMerge",
	forgetDelta: "ForgetDelta", lossyPayload: "LossyPayload", crossedField: "CrossedField",
	ownerInPayload: "OwnerInPayload", freshIDOnLoad: "FreshIDOnLoad",
	shallowClone: "ShallowClone", lenientMerge: "LenientMerge",
	nonAssociative: "NonAssociative", selfInEmpty: "SelfInEmpty",
}

// ---- reg: an integer register -------------------------------------------

// reg is a max register: its value is the largest ever set, and merge takes
// the maximum. With lastMergeWins it takes the argument's value instead, with
// sumOnMerge it adds it up.
type reg struct {
	bug   bug
	set   bool
	v     int
	delta *reg
}

var _ crdt.CRDT[*reg, int] = (*reg)(nil)

func newReg(b bug) func(crdt.ReplicaID) *reg {
	return func(crdt.ReplicaID) *reg { return &reg{bug: b} }
}

// Set records x: the register keeps the maximum; the buggy ones overwrite
// (lastMergeWins) or add (sumOnMerge, a counter in disguise).
func (r *reg) Set(x int) {
	if r.delta == nil {
		r.delta = &reg{bug: r.bug}
	}
	switch r.bug {
	case sumOnMerge:
		r.v += x
		r.delta.v += x
	case lastMergeWins:
		r.v, r.delta.v = x, x
	default:
		r.v, r.delta.v = max(r.v, x), max(r.delta.v, x)
	}
	r.set, r.delta.set = true, true
}

func (r *reg) TypeName() string { return "crdttest_test.Reg" + bugNames[r.bug] }

func (r *reg) Merge(o *reg) error {
	if !o.set {
		return nil
	}
	switch r.bug {
	case lastMergeWins:
		r.v = o.v
	case sumOnMerge:
		r.v += o.v
	case nonAssociative:
		// Commutative and a ⊔ a == a, yet (0 ⊔ 4) ⊔ 2 == 2 and 0 ⊔ (4 ⊔ 2) == 1.
		if r.set {
			r.v = (r.v + o.v) / 2
		} else {
			r.v = o.v
		}
	default:
		if !r.set || o.v > r.v {
			r.v = o.v
		}
	}
	r.set = true
	return nil
}

func (r *reg) Value() int  { return r.v }
func (r *reg) Clone() *reg { return &reg{bug: r.bug, set: r.set, v: r.v} }
func (r *reg) TakeDelta() (*reg, bool) {
	d := r.delta
	r.delta = nil
	return d, d != nil
}
func (r *reg) MergeState(o crdt.State) error { return crdt.MergeStateAs[*reg](r, o) }
func (r *reg) CloneState() crdt.State        { return r.Clone() }
func (r *reg) TakeDeltaState() (crdt.State, bool) {
	d, ok := r.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type regPayload struct {
	Set bool `json:"set"`
	V   int  `json:"v"`
}

func (r *reg) Payload() any { return &regPayload{Set: r.set, V: r.v} }

func (r *reg) LoadPayload(data []byte) error {
	var p regPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	if !p.Set && p.V != 0 {
		return payload.Invalidf("v", "value without set")
	}
	r.set, r.v, r.delta = p.Set, p.V, nil
	return nil
}

// ---- gset: a grow-only set of small integers -------------------------------

type gset struct {
	bug   bug
	m     map[int]struct{}
	delta *gset
}

var _ crdt.CRDT[*gset, []int] = (*gset)(nil)

func newGSet(b bug) func(crdt.ReplicaID) *gset {
	return func(crdt.ReplicaID) *gset { return &gset{bug: b, m: map[int]struct{}{}} }
}

// Add adds x.
func (s *gset) Add(x int) {
	s.m[x] = struct{}{}
	if s.bug == forgetDelta && x >= 2 {
		return
	}
	if s.delta == nil {
		s.delta = newGSet(s.bug)("")
	}
	s.delta.m[x] = struct{}{}
}

func (s *gset) TypeName() string { return "crdttest_test.GSet" + bugNames[s.bug] }

func (s *gset) Merge(o *gset) error {
	if s.bug == aliasMerge && len(s.m) == 0 {
		s.m = o.m
		return nil
	}
	for x := range o.m {
		s.m[x] = struct{}{}
	}
	return nil
}

func (s *gset) Value() []int {
	v := make([]int, 0, len(s.m))
	for x := range s.m {
		v = append(v, x)
	}
	slices.Sort(v)
	return v
}

func (s *gset) Clone() *gset {
	if s.bug == shallowClone {
		return &gset{bug: s.bug, m: s.m}
	}
	c := newGSet(s.bug)("")
	for x := range s.m {
		c.m[x] = struct{}{}
	}
	return c
}

func (s *gset) TakeDelta() (*gset, bool) {
	d := s.delta
	s.delta = nil
	return d, d != nil
}
func (s *gset) MergeState(o crdt.State) error {
	if _, ok := o.(*gset); !ok && s.bug == lenientMerge {
		return nil
	}
	return crdt.MergeStateAs[*gset](s, o)
}
func (s *gset) CloneState() crdt.State { return s.Clone() }
func (s *gset) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type gsetPayload struct {
	Elems []int `json:"elems"`
}

func (s *gset) Payload() any {
	v := s.Value()
	if s.bug == lossyPayload {
		v = slices.DeleteFunc(v, func(x int) bool { return x == 0 })
	}
	return &gsetPayload{Elems: v}
}

func (s *gset) LoadPayload(data []byte) error {
	var p gsetPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	m := make(map[int]struct{}, len(p.Elems))
	for i, x := range p.Elems {
		if _, dup := m[x]; dup {
			return payload.Invalidf(payload.Index("elems", i), "duplicate element %d", x)
		}
		m[x] = struct{}{}
	}
	s.m, s.delta = m, nil
	return nil
}

// ---- pair: a compound of two gsets ---------------------------------------

// pair composes two grow-only sets by hand, the way the original
// Friendship did; with crossedField its merge takes field B from the other's
// field A, the bug that Friendship had.
type pair struct {
	bug  bug
	a, b *gset
}

// pairValue is the value of a pair.
type pairValue struct{ A, B []int }

var _ crdt.CRDT[*pair, pairValue] = (*pair)(nil)

func newPair(b bug) func(crdt.ReplicaID) *pair {
	return func(r crdt.ReplicaID) *pair { return &pair{bug: b, a: newGSet(correct)(r), b: newGSet(correct)(r)} }
}

func (p *pair) TypeName() string { return "crdttest_test.Pair" + bugNames[p.bug] }

func (p *pair) Merge(o *pair) error {
	a, b := p.a.Clone(), p.b.Clone()
	if err := a.Merge(o.a); err != nil {
		return err
	}
	from := o.b
	if p.bug == crossedField {
		from = o.a
	}
	if err := b.Merge(from); err != nil {
		return err
	}
	// Keep the pending deltas of the fields.
	a.delta, b.delta = p.a.delta, p.b.delta
	p.a, p.b = a, b
	return nil
}

func (p *pair) Value() pairValue { return pairValue{A: p.a.Value(), B: p.b.Value()} }
func (p *pair) Clone() *pair     { return &pair{bug: p.bug, a: p.a.Clone(), b: p.b.Clone()} }

func (p *pair) TakeDelta() (*pair, bool) {
	da, okA := p.a.TakeDelta()
	db, okB := p.b.TakeDelta()
	if !okA && !okB {
		return nil, false
	}
	d := newPair(p.bug)("")
	if okA {
		d.a = da
	}
	if okB {
		d.b = db
	}
	return d, true
}
func (p *pair) MergeState(o crdt.State) error { return crdt.MergeStateAs[*pair](p, o) }
func (p *pair) CloneState() crdt.State        { return p.Clone() }
func (p *pair) TakeDeltaState() (crdt.State, bool) {
	d, ok := p.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type pairPayload struct {
	A any `json:"a"`
	B any `json:"b"`
}

type pairPayloadIn struct {
	A json.RawMessage `json:"a"`
	B json.RawMessage `json:"b"`
}

func (p *pair) Payload() any { return &pairPayload{A: p.a.Payload(), B: p.b.Payload()} }

func (p *pair) LoadPayload(data []byte) error {
	var in pairPayloadIn
	if err := payload.DecodeStrict(data, &in); err != nil {
		return err
	}
	if in.A == nil || in.B == nil {
		return payload.Invalidf("a", "missing field")
	}
	a, b := newGSet(correct)(""), newGSet(correct)("")
	if err := a.LoadPayload(in.A); err != nil {
		return payload.InField("a", err)
	}
	if err := b.LoadPayload(in.B); err != nil {
		return payload.InField("b", err)
	}
	p.a, p.b = a, b
	return nil
}

// ---- ctr: a grow-only counter with replica identity ------------------------

// ctr counts increments per replica. Its buggy variants get their identity
// wrong on load, the way the Python toolbox did.
type ctr struct {
	bug    bug
	id     crdt.ReplicaID
	counts map[crdt.ReplicaID]int
	delta  *ctr
}

var _ crdt.CRDT[*ctr, int] = (*ctr)(nil)

func newCtr(b bug) func(crdt.ReplicaID) *ctr {
	return func(r crdt.ReplicaID) *ctr {
		c := &ctr{bug: b, id: r, counts: map[crdt.ReplicaID]int{}}
		if b == selfInEmpty && r != "" {
			c.counts[r] = 1
		}
		return c
	}
}

// Inc counts one increment by the local replica.
func (c *ctr) Inc() {
	c.counts[c.id]++
	if c.delta == nil {
		c.delta = newCtr(c.bug)(c.id)
	}
	c.delta.counts[c.id] = c.counts[c.id]
}

func (c *ctr) TypeName() string { return "crdttest_test.Ctr" + bugNames[c.bug] }

func (c *ctr) Merge(o *ctr) error {
	for r, n := range o.counts {
		c.counts[r] = max(c.counts[r], n)
	}
	return nil
}

func (c *ctr) Value() int {
	sum := 0
	for _, n := range c.counts {
		sum += n
	}
	return sum
}

func (c *ctr) Clone() *ctr {
	d := newCtr(c.bug)(c.id)
	for r, n := range c.counts {
		d.counts[r] = n
	}
	return d
}

func (c *ctr) TakeDelta() (*ctr, bool) {
	d := c.delta
	c.delta = nil
	return d, d != nil
}
func (c *ctr) MergeState(o crdt.State) error { return crdt.MergeStateAs[*ctr](c, o) }
func (c *ctr) CloneState() crdt.State        { return c.Clone() }
func (c *ctr) TakeDeltaState() (crdt.State, bool) {
	d, ok := c.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type ctrEntry struct {
	N int            `json:"n"`
	R crdt.ReplicaID `json:"r"`
}

type ctrPayload struct {
	Counts []ctrEntry      `json:"counts"`
	Owner  *crdt.ReplicaID `json:"owner,omitempty"`
}

func (c *ctr) Payload() any {
	p := &ctrPayload{Counts: []ctrEntry{}}
	for r, n := range c.counts {
		p.Counts = append(p.Counts, ctrEntry{N: n, R: r})
	}
	slices.SortFunc(p.Counts, func(a, b ctrEntry) int { return strings.Compare(string(a.R), string(b.R)) })
	if c.bug == ownerInPayload && c.id != "" {
		owner := c.id
		p.Owner = &owner
	}
	return p
}

func (c *ctr) LoadPayload(data []byte) error {
	var p ctrPayload
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	counts := make(map[crdt.ReplicaID]int, len(p.Counts))
	for i, e := range p.Counts {
		if _, dup := counts[e.R]; dup || e.N <= 0 || e.R == "" {
			return payload.Invalidf(payload.Index("counts", i), "bad entry")
		}
		counts[e.R] = e.N
	}
	c.counts, c.delta = counts, nil
	switch {
	case c.bug == ownerInPayload && p.Owner != nil:
		c.id = *p.Owner
	case c.bug == freshIDOnLoad:
		c.id = crdt.NewReplicaID()
	}
	return nil
}

func init() {
	for _, b := range []bug{correct, ownerInPayload, freshIDOnLoad, selfInEmpty} {
		payload.MustRegister(payload.Type{Name: "crdttest_test.Ctr" + bugNames[b], Version: 1,
			New: func(r crdt.ReplicaID) crdt.State { return newCtr(b)(r) }})
	}
	for _, b := range []bug{correct, lastMergeWins, sumOnMerge, nonAssociative} {
		payload.MustRegister(payload.Type{Name: "crdttest_test.Reg" + bugNames[b], Version: 1,
			New: func(r crdt.ReplicaID) crdt.State { return newReg(b)(r) }})
	}
	for _, b := range []bug{correct, aliasMerge, forgetDelta, lossyPayload, shallowClone, lenientMerge} {
		payload.MustRegister(payload.Type{Name: "crdttest_test.GSet" + bugNames[b], Version: 1,
			New: func(r crdt.ReplicaID) crdt.State { return newGSet(b)(r) }})
	}
	for _, b := range []bug{correct, crossedField} {
		payload.MustRegister(payload.Type{Name: "crdttest_test.Pair" + bugNames[b], Version: 1,
			New: func(r crdt.ReplicaID) crdt.State { return newPair(b)(r) }})
	}
}
