package crdttest

import (
	"bytes"
	"errors"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func (c *checker[S, V]) lawEmpty(t *rapid.T) {
	w := c.history(t)
	a := w.pick(t, "a")
	empty := c.spec.New("e1")
	if _, ok := empty.TakeDelta(); ok {
		t.Fatalf("New returned a state with a pending delta")
	}
	c.same(t, "New(r) ⊔ a == a", c.merged(t, "New(r) ⊔ a", empty, a.s), a.s)
	c.same(t, "a ⊔ New(r) == a", c.merged(t, "a ⊔ New(r)", a.s, empty), a.s)
}

func (c *checker[S, V]) lawCommutative(t *rapid.T) {
	w := c.history(t)
	a, b := w.pick(t, "a"), w.pick(t, "b")
	c.same(t, "a ⊔ b == b ⊔ a", c.merged(t, "a ⊔ b", a.s, b.s), c.merged(t, "b ⊔ a", b.s, a.s))
}

func (c *checker[S, V]) lawAssociative(t *rapid.T) {
	w := c.history(t)
	a, b, x := w.pick(t, "a"), w.pick(t, "b"), w.pick(t, "c")
	left := c.merged(t, "(a ⊔ b) ⊔ c", c.merged(t, "a ⊔ b", a.s, b.s), x.s)
	right := c.merged(t, "a ⊔ (b ⊔ c)", a.s, c.merged(t, "b ⊔ c", b.s, x.s))
	c.same(t, "(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)", left, right)
}

func (c *checker[S, V]) lawIdempotent(t *rapid.T) {
	w := c.history(t)
	a, b := w.pick(t, "a"), w.pick(t, "b")
	c.same(t, "a ⊔ a == a", c.merged(t, "a ⊔ a", a.s, a.s.Clone()), a.s)
	ab := c.merged(t, "a ⊔ b", a.s, b.s)
	c.same(t, "(a ⊔ b) ⊔ b == a ⊔ b", c.merged(t, "(a ⊔ b) ⊔ b", ab, b.s), ab)
}

func (c *checker[S, V]) lawNoAlias(t *rapid.T) {
	w := c.history(t)
	a, b := w.pick(t, "a"), w.pick(t, "b")
	ba := c.marshal(t, "a", a.s)
	bb := c.marshal(t, "b", b.s)

	// Merge leaves its argument (and, through Clone, the original) alone.
	m := a.s.Clone()
	if err := m.Merge(b.s); err != nil {
		t.Fatalf("a ⊔ b: Merge: %v", err)
	}
	c.unchanged(t, "merge changed its argument b", b.s, bb)
	c.unchanged(t, "merging into a clone of a changed a", a.s, ba)

	// Changes to the merge result do not reach b.
	c.mutations(t, "mutations of a ⊔ b", a.id, m, 1, 4)
	c.unchanged(t, "mutating m := a.Clone(); m.Merge(b) changed b", b.s, bb)
	c.unchanged(t, "mutating m := a.Clone(); m.Merge(b) changed a", a.s, ba)
	if err := m.Merge(b.s); err != nil {
		t.Fatalf("m ⊔ b: Merge: %v", err)
	}
	c.unchanged(t, "merging b again into a mutated m changed b", b.s, bb)

	// Changes to b (and a) do not reach an earlier merge result.
	m2 := a.s.Clone()
	if err := m2.Merge(b.s); err != nil {
		t.Fatalf("a ⊔ b: Merge: %v", err)
	}
	bm2 := c.marshal(t, "a ⊔ b", m2)
	// Merging into b first replaces what a merge may have shared; the
	// mutations come after, so that b never forks a replica it then merges.
	o := w.pick(t, "other")
	if err := b.s.Merge(o.s); err != nil {
		t.Fatalf("b ⊔ other: Merge: %v", err)
	}
	c.mutations(t, "mutations of b", b.id, b.s, 1, 4)
	c.mutations(t, "mutations of a", a.id, a.s, 0, 2)
	c.unchanged(t, "mutating b after m := a.Clone(); m.Merge(b) changed m", m2, bm2)
}

// foreign is a State of a type no CRDT merges with.
type foreign struct{}

func (foreign) TypeName() string                   { return "crdttest.foreign" }
func (foreign) MergeState(crdt.State) error        { return crdt.ErrTypeMismatch }
func (foreign) CloneState() crdt.State             { return foreign{} }
func (foreign) Payload() any                       { return struct{}{} }
func (foreign) LoadPayload([]byte) error           { return nil }
func (foreign) TakeDeltaState() (crdt.State, bool) { return nil, false }

func (c *checker[S, V]) lawMergeState(t *rapid.T) {
	w := c.history(t)
	a, b := w.pick(t, "a"), w.pick(t, "b")

	m := a.s.Clone()
	if err := m.MergeState(b.s); err != nil {
		t.Fatalf("a.MergeState(b): %v", err)
	}
	c.same(t, "a.MergeState(b) == a.Merge(b)", m, c.merged(t, "a ⊔ b", a.s, b.s))

	before := c.marshal(t, "a", a.s)
	x := a.s.Clone()
	err := x.MergeState(foreign{})
	if !errors.Is(err, crdt.ErrTypeMismatch) {
		t.Fatalf("MergeState of a foreign type returned %v, want an error wrapping crdt.ErrTypeMismatch", err)
	}
	c.unchanged(t, "a failed MergeState changed the receiver", x, before)

	cs := a.s.CloneState()
	typed, ok := cs.(S)
	if !ok {
		t.Fatalf("CloneState returned %T, want %T", cs, a.s)
	}
	c.same(t, "a.CloneState() == a", typed, a.s)
	if cs.TypeName() != c.typeName {
		t.Fatalf("TypeName of a clone is %q, want %q", cs.TypeName(), c.typeName)
	}

	// The erased delta is the typed one.
	i := w.slot(t, "replica")
	s := w.live[i]
	s.TakeDelta()
	c.spec.Mutate(t, w.ids[i], s)
	d, ok := s.TakeDeltaState()
	if ok {
		if _, typedDelta := d.(S); !typedDelta {
			t.Fatalf("TakeDeltaState returned %T, want %T", d, s)
		}
	}
	if _, again := s.TakeDelta(); again {
		t.Fatalf("TakeDelta after TakeDeltaState still returned a delta")
	}
}

func (c *checker[S, V]) lawClone(t *rapid.T) {
	w := c.history(t)
	i := w.slot(t, "replica")
	s, id := w.live[i], w.ids[i]
	cl := s.Clone()
	c.same(t, "s.Clone() == s", cl, s)
	if _, ok := cl.TakeDelta(); ok {
		t.Fatalf("a clone has a pending delta")
	}
	if cl.TypeName() != s.TypeName() {
		t.Fatalf("clone's TypeName %q, original's %q", cl.TypeName(), s.TypeName())
	}
	bs := c.marshal(t, "s", s)
	c.mutations(t, "mutations of the clone", id, cl, 1, 4)
	c.unchanged(t, "mutating a clone changed the original", s, bs)

	cl2 := s.Clone()
	bc := c.marshal(t, "clone", cl2)
	c.mutations(t, "mutations of the original", id, s, 1, 4)
	c.unchanged(t, "mutating the original changed its clone", cl2, bc)
}

func (c *checker[S, V]) lawRoundTrip(t *rapid.T) {
	w := c.history(t)
	e := w.pick(t, "s")
	b1 := c.marshal(t, "s", e.s)
	if b2 := c.marshal(t, "s", e.s); !bytes.Equal(b1, b2) {
		t.Fatalf("marshalling twice gave different bytes:\n  %s\n  %s", clip(b1), clip(b2))
	}
	if name, err := (payload.Codec{}).TypeOf(b1); err != nil || name != c.typeName {
		t.Fatalf("payload.Codec.TypeOf = %q, %v; want %q", name, err, c.typeName)
	}
	// Decoding binds to the id given, whichever replica wrote the payload.
	for _, id := range []crdt.ReplicaID{e.id, "d1"} {
		x := c.reload(t, "payload.Unmarshal", e.s, id)
		c.same(t, "payload.Unmarshal(payload.Marshal(s)) == s", x, e.s)
		if _, ok := x.TakeDelta(); ok {
			t.Fatalf("a decoded state has a pending delta")
		}
	}
	// UnmarshalInto an empty state and into a state holding something else.
	into := c.spec.New("d2")
	if err := payload.UnmarshalInto(b1, into); err != nil {
		t.Fatalf("payload.UnmarshalInto an empty state: %v", err)
	}
	c.same(t, "payload.UnmarshalInto(New(r)) == s", into, e.s)
	other := w.pick(t, "other")
	if err := payload.UnmarshalInto(b1, other.s); err != nil {
		t.Fatalf("payload.UnmarshalInto a non-empty state: %v", err)
	}
	c.same(t, "payload.UnmarshalInto(other) == s", other.s, e.s)
}

func (c *checker[S, V]) lawValue(t *rapid.T) {
	w := c.history(t)
	i := w.slot(t, "replica")
	s, id := w.live[i], w.ids[i]
	v := s.Value()
	if v2 := s.Value(); !c.equal(v, v2) {
		t.Fatalf("Value twice gave different values:\n  %#v\n  %#v", v, v2)
	}
	x := c.reload(t, "rebuild", s, id)
	if vx := x.Value(); !c.equal(v, vx) {
		t.Fatalf("the value of a state rebuilt from its payload differs:\n  state:   %#v\n  rebuilt: %#v", v, vx)
	}
	// The value does not alias the state: it stays equal to a copy's value
	// while the state changes.
	cl := s.Clone()
	c.mutations(t, "mutations", id, s, 1, 4)
	if vc := cl.Value(); !c.equal(v, vc) {
		t.Fatalf("a value taken before mutations changed with the state (aliasing):\n  then: %#v\n  copy: %#v", v, vc)
	}
}

func (c *checker[S, V]) lawDelta(t *rapid.T) {
	w := c.history(t)
	i := w.slot(t, "replica")
	s, id := w.live[i], w.ids[i]
	s.TakeDelta()
	if _, ok := s.TakeDelta(); ok {
		t.Fatalf("TakeDelta returned a delta twice")
	}
	stale := s.Clone()

	n := rapid.IntRange(1, 6).Draw(t, "mutations")
	var deltas []S
	var taken [][]byte
	for k := range n {
		c.spec.Mutate(t, id, s)
		if k == n-1 || rapid.Bool().Draw(t, "take delta") {
			if d, ok := s.TakeDelta(); ok {
				deltas = append(deltas, d)
				taken = append(taken, c.marshal(t, "delta", d))
			}
		}
	}
	if _, ok := s.TakeDelta(); ok {
		t.Fatalf("TakeDelta returned a delta twice")
	}
	for k, d := range deltas {
		c.unchanged(t, "a delta changed after later mutations (it aliases the state)", d, taken[k])
	}

	c.same(t, "stale ⊔ s == s", c.merged(t, "stale ⊔ s", stale, s), s)

	inOrder := stale.Clone()
	for _, d := range deltas {
		if err := inOrder.Merge(d); err != nil {
			t.Fatalf("merging a delta: %v", err)
		}
	}
	c.same(t, "stale ⊔ deltas (in order) == s", inOrder, s)

	idx := make([]int, len(deltas))
	for k := range idx {
		idx[k] = k
	}
	order := rapid.Permutation(idx).Draw(t, "delta order")
	shuffled := stale.Clone()
	for _, k := range order {
		if err := shuffled.Merge(deltas[k]); err != nil {
			t.Fatalf("merging a delta: %v", err)
		}
	}
	c.same(t, "stale ⊔ deltas (shuffled) == s", shuffled, s)

	// A delta group: the deltas joined among themselves in another order,
	// each after a payload round trip, then merged as one.
	if len(deltas) > 0 {
		order = rapid.Permutation(idx).Draw(t, "group order")
		var group S
		for j, k := range order {
			d := c.reload(t, "delta round trip", deltas[k], "g1")
			c.same(t, "delta round trip", d, deltas[k])
			if j == 0 {
				group = d
			} else if err := group.Merge(d); err != nil {
				t.Fatalf("joining deltas: %v", err)
			}
		}
		c.same(t, "stale ⊔ (delta group) == s", c.merged(t, "stale ⊔ group", stale, group), s)
	}

	// Into any state that has seen stale, deltas bring the same as s.
	o := w.pick(t, "other")
	base := c.merged(t, "other ⊔ stale", o.s, stale)
	viaDeltas := base.Clone()
	for _, d := range deltas {
		if err := viaDeltas.Merge(d); err != nil {
			t.Fatalf("merging a delta: %v", err)
		}
	}
	c.same(t, "(other ⊔ stale) ⊔ deltas == (other ⊔ stale) ⊔ s", viaDeltas, c.merged(t, "(other ⊔ stale) ⊔ s", base, s))

	// Merge records no delta.
	m := stale.Clone()
	if err := m.Merge(o.s); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if err := m.Merge(s); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if _, ok := m.TakeDelta(); ok {
		t.Fatalf("Merge recorded a delta")
	}
}

func (c *checker[S, V]) lawIdentity(t *rapid.T) {
	w := c.history(t)
	j := w.slot(t, "origin")
	origin, originID := w.live[j], w.ids[j]
	const id crdt.ReplicaID = "x1"
	x := c.reload(t, "bootstrap", origin, id)
	c.same(t, "decoded with id x == New(x) ⊔ origin", x, c.merged(t, "New(x) ⊔ origin", c.spec.New(id), origin))
	c.sameBehaviour(t, id, x, origin)

	// Both go on independently, then the laws must hold between them and
	// any other state of the history.
	x.TakeDelta()
	stale := x.Clone()
	c.mutations(t, "mutations of the newcomer", id, x, 1, 5)
	c.mutations(t, "mutations of the origin", originID, origin, 0, 3)
	d, ok := x.TakeDelta()
	if ok {
		c.same(t, "stale ⊔ newcomer's delta == newcomer", c.merged(t, "stale ⊔ delta", stale, d), x)
	} else {
		c.same(t, "without a delta the newcomer is unchanged", stale, x)
	}
	o := w.pick(t, "other")
	xo := c.merged(t, "x ⊔ origin", x, origin)
	c.same(t, "x ⊔ origin == origin ⊔ x", xo, c.merged(t, "origin ⊔ x", origin, x))
	c.same(t, "(x ⊔ origin) ⊔ x == x ⊔ origin", c.merged(t, "(x ⊔ origin) ⊔ x", xo, x), xo)
	c.same(t, "(x ⊔ origin) ⊔ other == x ⊔ (origin ⊔ other)",
		c.merged(t, "(x ⊔ origin) ⊔ other", xo, o.s),
		c.merged(t, "x ⊔ (origin ⊔ other)", x, c.merged(t, "origin ⊔ other", origin, o.s)))

	// The newcomer keeps working after merging its origin back.
	if err := x.Merge(origin); err != nil {
		t.Fatalf("x.Merge(origin): %v", err)
	}
	if err := origin.Merge(x); err != nil {
		t.Fatalf("origin.Merge(x): %v", err)
	}
	c.same(t, "after exchanging states", x, origin)
	c.mutations(t, "more mutations of the newcomer", id, x, 1, 3)
	c.same(t, "x ⊔ origin == origin ⊔ x (after more mutations)",
		c.merged(t, "x ⊔ origin", x, origin), c.merged(t, "origin ⊔ x", origin, x))
}

// sameBehaviour checks that decoded, a state decoded from origin's payload
// with replica id, and a state built as New(id) ⊔ origin respond alike to
// the same mutations: a decoded state is bound to the id it was given (not to
// one read from the payload or invented on load) and LoadPayload restores
// what a merge would (a clock that must observe the timestamps it loads, for
// example). Both are made by the constructor registered with payload, so
// that a Spec.New with an injected clock or random source does not count as
// a difference. The mutations are replayed from one seed with rapid's
// Generator.Example. Types whose mutations are not deterministic (a wall
// clock, map order, a clock shared between clones) cannot be compared this
// way: when one seed gives two different results on the same state, the
// check is skipped.
func (c *checker[S, V]) sameBehaviour(t *rapid.T, id crdt.ReplicaID, decoded, origin S) {
	typ, _ := payload.Default.Lookup(c.typeName)
	built, ok := typ.New(id).(S)
	if !ok {
		t.Fatalf("the constructor registered for %s returned %T, want %T", c.typeName, typ.New(id), built)
	}
	if err := built.Merge(origin); err != nil {
		t.Fatalf("New(x) ⊔ origin: Merge: %v", err)
	}
	seed := rapid.IntRange(0, 1<<30).Draw(t, "replay seed")
	run := func(base S) (b []byte, ok bool) {
		defer func() {
			if recover() != nil {
				ok = false
			}
		}()
		gen := rapid.Custom(func(rt *rapid.T) []byte {
			s := base.Clone()
			n := rapid.IntRange(1, 4).Draw(rt, "mutations")
			for range n {
				c.spec.Mutate(rt, id, s)
			}
			b, err := payload.Marshal(s)
			if err != nil {
				rt.Fatalf("payload.Marshal: %v", err)
			}
			return b
		})
		return gen.Example(seed), true
	}
	b1, ok1 := run(built)
	b2, ok2 := run(built)
	d1, ok3 := run(decoded)
	d2, ok4 := run(decoded)
	if !ok1 || !ok2 || !ok3 || !ok4 || !bytes.Equal(b1, b2) || !bytes.Equal(d1, d2) {
		return // not deterministic: nothing to compare
	}
	if !bytes.Equal(d1, b1) {
		t.Fatalf("the same mutations (replay seed %d) by replica %s give different states on a state decoded with id %s and on New(%s) ⊔ origin:"+
			" is the identity read from the payload or invented on load, or does LoadPayload not restore what Merge would?\n  decoded: %s\n  built:   %s",
			seed, id, id, id, clip(d1), clip(b1))
	}
}
