package sets

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
)

func dotOf(r string, n uint64) causal.Dot {
	return causal.Dot{Replica: crdt.ReplicaID(r), Counter: n}
}

func mustAdd[T comparable](t testing.TB, s *ORSet[T], es ...T) {
	t.Helper()
	for _, e := range es {
		require.NoError(t, s.Add(e))
	}
}

func mustMerge[T comparable](t testing.TB, dst, src *ORSet[T]) {
	t.Helper()
	require.NoError(t, dst.Merge(src))
}

func takeDelta[T comparable](t testing.TB, s *ORSet[T]) *ORSet[T] {
	t.Helper()
	d, ok := s.TakeDelta()
	require.True(t, ok, "no pending delta")
	return d
}

// dotsOf returns the dots the set holds for e.
func dotsOf[T comparable](s *ORSet[T], e T) []causal.Dot {
	ds, _ := s.elems.Get(e)
	return ds.AppendTo(nil)
}

func encode(t testing.TB, s crdt.State) string {
	t.Helper()
	b, err := payload.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

func TestORSetBasics(t *testing.T) {
	s := NewORSet[string]("a")
	assert.Equal(t, []string{}, s.Value())
	mustAdd(t, s, "y", "x", "z", "x")
	assert.Equal(t, []string{"x", "y", "z"}, s.Elements())
	assert.Equal(t, 3, s.Len())
	assert.True(t, s.Contains("x"))
	// Re-adding x replaced its dot.
	assert.Equal(t, []causal.Dot{dotOf("a", 4)}, dotsOf(s, "x"))

	assert.True(t, s.Remove("y"))
	assert.False(t, s.Contains("y"))
	assert.ElementsMatch(t, []string{"x", "z"}, slices.Collect(s.All()))

	// A remove of an absent element is a no-op and records no delta.
	_, _ = s.TakeDelta()
	assert.False(t, s.Remove("nope"))
	_, ok := s.TakeDelta()
	assert.False(t, ok)

	var zero ORSet[string]
	assert.ErrorIs(t, zero.Add("x"), crdt.ErrNoReplica)
	assert.Equal(t, 0, zero.Len())
	assert.Equal(t, "sets.ORSet[string]", s.TypeName())
	assert.Equal(t, crdt.ReplicaID("a"), s.Replica())
}

func TestORSetAddFailsWhenCountersExhausted(t *testing.T) {
	s := NewORSet[string]("a")
	require.NoError(t, s.LoadPayload([]byte(`{"context":{"cloud":[],"vv":[{"n":9007199254740991,"r":"a"}]},"elements":[]}`)))
	before := encode(t, s)
	assert.ErrorIs(t, s.Add("x"), causal.ErrExhausted)
	assert.Equal(t, before, encode(t, s))
	_, ok := s.TakeDelta()
	assert.False(t, ok)
}

// A remove cancels only the adds it has seen: a concurrent re-add survives,
// whichever way the merge goes.
func TestORSetAddWins(t *testing.T) {
	a := NewORSet[string]("a")
	mustAdd(t, a, "x")
	b := NewORSet[string]("b")
	mustMerge(t, b, a)

	a.Remove("x")
	mustAdd(t, b, "x")

	ab, err := crdt.Merge(a, b)
	require.NoError(t, err)
	ba, err := crdt.Merge(b, a)
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, ab.Value())
	assert.Equal(t, encode(t, ab), encode(t, ba))
	// Only b's new add survives; a's removed add is gone for good.
	assert.Equal(t, []causal.Dot{dotOf("b", 1)}, dotsOf(ab, "x"))

	// Concurrent adds of the same element on both sides keep both dots
	// until a replica that has seen both adds again.
	c := NewORSet[string]("c")
	mustAdd(t, c, "y")
	mustAdd(t, b, "y")
	mustMerge(t, c, b)
	assert.Equal(t, []causal.Dot{dotOf("b", 2), dotOf("c", 1)}, dotsOf(c, "y"))
	mustAdd(t, c, "y")
	assert.Equal(t, []causal.Dot{dotOf("c", 2)}, dotsOf(c, "y"))
}

// The trap from the field notes: an element present on both sides keeps the
// dots that both sides hold, even though both contexts have seen them.
func TestORSetMergeKeepsSharedDot(t *testing.T) {
	a := NewORSet[string]("a")
	mustAdd(t, a, "x")
	b := NewORSet[string]("b")
	mustMerge(t, b, a)
	// Both sides now hold x with dot a:1 and both contexts contain a:1.
	// Make the states differ elsewhere so that merge has work to do.
	mustAdd(t, b, "y")
	mustAdd(t, a, "z")

	for _, pair := range [][2]*ORSet[string]{{a, b}, {b, a}} {
		m, err := crdt.Merge(pair[0], pair[1])
		require.NoError(t, err)
		assert.Equal(t, []string{"x", "y", "z"}, m.Value())
		assert.Equal(t, []causal.Dot{dotOf("a", 1)}, dotsOf(m, "x"))
	}

	// The same with two dots shared, one of which only one side re-added.
	c := NewORSet[string]("c")
	mustMerge(t, c, a)
	mustMerge(t, c, b) // x: {a:1}
	mustAdd(t, a, "w")
	mustMerge(t, c, a)
	m, err := crdt.Merge(c, a)
	require.NoError(t, err)
	assert.Equal(t, []causal.Dot{dotOf("a", 1)}, dotsOf(m, "x"))
}

// Deferred removes: a remove whose context covers an add the receiver has
// not seen yet takes effect when the add arrives, in any delivery order.
func TestORSetRemoveBeforeAdd(t *testing.T) {
	// A adds x; B receives A's delta and removes x; C hears from both.
	a := NewORSet[string]("a")
	mustAdd(t, a, "keep") // C will get this only through the add's delta group
	mustAdd(t, a, "x")
	addDelta := takeDelta(t, a)

	b := NewORSet[string]("b")
	mustMerge(t, b, addDelta)
	require.True(t, b.Remove("x"))
	removeDelta := takeDelta(t, b)
	assert.Empty(t, removeDelta.Value())

	// C gets the remove first: nothing to remove yet, but the dot waits in
	// its context, out of order (a:2 without a:1), in the cloud.
	c := NewORSet[string]("c")
	mustMerge(t, c, removeDelta)
	assert.Empty(t, c.Value())
	vec, cloud := c.ctx.Size()
	assert.Equal(t, 0, vec)
	assert.Equal(t, 1, cloud)

	// Then the add arrives: x stays removed; the context compacts.
	mustMerge(t, c, addDelta)
	assert.Equal(t, []string{"keep"}, c.Value())
	vec, cloud = c.ctx.Size()
	assert.Equal(t, 1, vec)
	assert.Equal(t, 0, cloud)

	// The other delivery order gives the same state, and so does a full
	// state merge from A after the remove delta.
	d := NewORSet[string]("d")
	mustMerge(t, d, addDelta)
	mustMerge(t, d, removeDelta)
	assert.Equal(t, encode(t, c), encode(t, d))
	e := NewORSet[string]("e")
	mustMerge(t, e, removeDelta)
	mustMerge(t, e, a)
	assert.Equal(t, encode(t, c), encode(t, e))

	// And the remove survives a payload round trip while it waits.
	f := NewORSet[string]("f")
	mustMerge(t, f, removeDelta)
	g, err := payload.UnmarshalAs[*ORSet[string]]([]byte(encode(t, f)), "g")
	require.NoError(t, err)
	mustMerge(t, g, a)
	assert.Equal(t, []string{"keep"}, g.Value())
}

// A remove of an absent element does not pre-remove a concurrent add.
func TestORSetRemoveAbsentIsNoOp(t *testing.T) {
	a := NewORSet[string]("a")
	b := NewORSet[string]("b")
	mustAdd(t, a, "x")
	assert.False(t, b.Remove("x"))
	mustMerge(t, b, a)
	assert.Equal(t, []string{"x"}, b.Value())
}

// After heavy churn over 4 replicas and a full exchange, the state holds the
// live elements with their dots and a compact context: one vector entry per
// replica and nothing in the cloud. Its payload is no larger than a fresh
// state built from the live elements only.
func TestORSetChurnLeavesNoResidue(t *testing.T) {
	const replicas, ops, universe = 4, 10000, 200
	rng := rand.New(rand.NewPCG(1, 2))
	rs := make([]*ORSet[int], replicas)
	for i := range rs {
		rs[i] = NewORSet[int](crdt.ReplicaID(fmt.Sprintf("replica-%d", i)))
	}
	for i := range ops {
		r := rs[rng.IntN(replicas)]
		e := rng.IntN(universe)
		if rng.IntN(2) == 0 {
			mustAdd(t, r, e)
		} else {
			r.Remove(e)
		}
		// Exchange partially and with deltas now and then, so that
		// concurrent adds and removes and out-of-order dots happen.
		switch {
		case i%97 == 0:
			mustMerge(t, rs[rng.IntN(replicas)], r)
		case i%13 == 0:
			if d, ok := r.TakeDelta(); ok {
				mustMerge(t, rs[rng.IntN(replicas)], d)
			}
		}
	}
	// Full exchange.
	for _, dst := range rs {
		for _, src := range rs {
			mustMerge(t, dst, src)
		}
	}
	for _, r := range rs[1:] {
		require.Equal(t, encode(t, rs[0]), encode(t, r))
	}
	s := rs[0]
	vec, cloud := s.ctx.Size()
	assert.LessOrEqual(t, vec, replicas)
	assert.Equal(t, 0, cloud, "cloud after full exchange")
	live := s.Len()
	assert.Greater(t, live, 0)
	dots := 0
	for _, ds := range s.elems.All() {
		dots += ds.Len()
		assert.LessOrEqual(t, ds.Len(), replicas, "an element has at most one dot per replica")
	}
	t.Logf("after %d ops: %d live elements, %d dots, %d vector entries, payload %d bytes", ops, live, dots, vec, len(encode(t, s)))

	// The payload is the size of a state holding only those elements and
	// dots: rebuild one from scratch and compare sizes.
	fresh := NewORSet[int]("z")
	for e, ds := range s.elems.All() {
		fresh.elems.Set(e, ds)
	}
	fresh.ctx = *s.ctx.Clone()
	assert.Equal(t, len(encode(t, fresh)), len(encode(t, s)))
	// And it stays bounded by the live elements and replicas: every element
	// costs at most its own bytes plus one dot per replica.
	perDot := len(`{"n":10000,"r":"replica-0"},`)
	perElem := len(`{"dots":[],"e":199},`)
	bound := 200 + replicas*perDot + live*(perElem+replicas*perDot)
	assert.LessOrEqual(t, len(encode(t, s)), bound)
}

func TestORSetDeltas(t *testing.T) {
	a := NewORSet[string]("a")
	mustAdd(t, a, "x", "y")
	stale := a.Clone()
	mustAdd(t, a, "x", "z")
	a.Remove("y")
	a.Remove("z")
	mustAdd(t, a, "w")
	d := takeDelta(t, a)
	// The delta holds only what changed: x's new dot and w.
	assert.Equal(t, []string{"w", "x"}, d.Value())
	mustMerge(t, stale, d)
	assert.Equal(t, encode(t, a), encode(t, stale))
	_, ok := a.TakeDelta()
	assert.False(t, ok)

	// Merges record no delta; clones carry none.
	b := NewORSet[string]("b")
	mustMerge(t, b, a)
	_, ok = b.TakeDelta()
	assert.False(t, ok)
	mustAdd(t, a, "v")
	_, ok = a.Clone().TakeDelta()
	assert.False(t, ok)
}

func TestORSetMergeDoesNotAlias(t *testing.T) {
	a := NewORSet[string]("a")
	b := NewORSet[string]("b")
	mustAdd(t, b, "x")
	mustAdd(t, b, "x")
	mustMerge(t, a, b)
	c := NewORSet[string]("c")
	mustAdd(t, c, "x")
	mustMerge(t, a, c) // x has two dots on a now
	before := encode(t, b)
	mustAdd(t, a, "y")
	a.Remove("x")
	assert.Equal(t, before, encode(t, b))
	cb := encode(t, c)
	mustAdd(t, c, "q")
	c.Remove("x")
	assert.NotEqual(t, cb, encode(t, c))
	assert.Equal(t, []string{"y"}, a.Value())
}

func TestORSetPayloadShape(t *testing.T) {
	a := NewORSet[string]("a")
	mustAdd(t, a, "x", "y")
	b := NewORSet[string]("b")
	mustAdd(t, b, "x")
	mustMerge(t, a, b)
	a.Remove("y")
	got := encode(t, a)
	assert.Equal(t, `{"state":{"context":{"cloud":[],"vv":[{"n":2,"r":"a"},{"n":1,"r":"b"}]},`+
		`"elements":[{"dots":[{"n":1,"r":"a"},{"n":1,"r":"b"}],"e":"x"}]},"type":"sets.ORSet[string]","version":1}`, got)

	// Non-string elements live in arrays too.
	type point struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	RegisterORSet[point]()
	RegisterORSet[point]() // idempotent
	p := NewORSet[point]("a")
	mustAdd(t, p, point{2, 1}, point{1, 2})
	gotP := encode(t, p)
	assert.Equal(t, `{"state":{"context":{"cloud":[],"vv":[{"n":2,"r":"a"}]},"elements":[`+
		`{"dots":[{"n":2,"r":"a"}],"e":{"x":1,"y":2}},{"dots":[{"n":1,"r":"a"}],"e":{"x":2,"y":1}}]},`+
		`"type":"sets.ORSet[sets.point]","version":1}`, gotP)
	back, err := payload.UnmarshalAs[*ORSet[point]]([]byte(gotP), "q")
	require.NoError(t, err)
	assert.Equal(t, p.Value(), back.Value())
	assert.Equal(t, crdt.ReplicaID("q"), back.Replica())
}

func TestORSetLoadPayloadRejects(t *testing.T) {
	ctx := `{"cloud":[{"n":5,"r":"b"}],"vv":[{"n":3,"r":"a"}]}`
	cases := []struct{ name, in, field, msg string }{
		{"no context", `{"elements":[]}`, "context", "missing"},
		{"null context", `{"context":null,"elements":[]}`, "context", "missing"},
		{"no elements", `{"context":` + ctx + `}`, "elements", "missing"},
		{"bad context", `{"context":{"cloud":[],"vv":[{"n":0,"r":"a"}]},"elements":[]}`, "context.vv[0].n", "counter 0"},
		{"dot beyond context", `{"context":` + ctx + `,"elements":[{"dots":[{"n":4,"r":"a"}],"e":"x"}]}`, "elements[0].dots[0]", "beyond its causal context"},
		{"dot beyond cloud", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":"a"}],"e":"y"},{"dots":[{"n":4,"r":"b"}],"e":"x"}]}`, "elements[1].dots[0]", "beyond its causal context"},
		{"unknown replica", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":"c"}],"e":"x"}]}`, "elements[0].dots[0]", "beyond its causal context"},
		{"no dots", `{"context":` + ctx + `,"elements":[{"dots":[],"e":"x"}]}`, "elements[0].dots", "no dots"},
		{"missing dots", `{"context":` + ctx + `,"elements":[{"e":"x"}]}`, "elements[0].dots", "no dots"},
		{"duplicate element", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":"a"}],"e":"x"},{"dots":[{"n":2,"r":"a"}],"e":"x"}]}`, "elements[1].e", "listed twice"},
		{"duplicate dot", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":"a"},{"n":1,"r":"a"}],"e":"x"}]}`, "elements[0].dots[1]", "listed twice"},
		{"shared dot", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":"a"}],"e":"x"},{"dots":[{"n":1,"r":"a"}],"e":"y"}]}`, "elements[1].dots[0]", "listed twice"},
		{"zero counter", `{"context":` + ctx + `,"elements":[{"dots":[{"n":0,"r":"a"}],"e":"x"}]}`, "elements[0].dots[0].n", "counter 0"},
		{"missing element", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":"a"}]}]}`, "elements[0].e", "missing or null"},
		{"null element", `{"context":` + ctx + `,"elements":[{"dots":[{"n":2,"r":"a"}],"e":"x"},{"dots":[{"n":1,"r":"a"}],"e":null}]}`, "elements[1].e", "missing or null"},
		{"empty replica", `{"context":` + ctx + `,"elements":[{"dots":[{"n":1,"r":""}],"e":"x"}]}`, "elements[0].dots[0].r", "empty replica"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewORSet[string]("me")
			mustAdd(t, s, "old")
			before := encode(t, s)
			err := s.LoadPayload([]byte(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, payload.ErrInvalid)
			var fe *payload.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, tc.field, fe.Field)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, before, encode(t, s), "receiver changed on error")
		})
	}
	// The zero element itself is fine.
	s := NewORSet[string]("me")
	require.NoError(t, s.LoadPayload([]byte(`{"context":{"cloud":[],"vv":[{"n":1,"r":"a"}]},"elements":[{"dots":[{"n":1,"r":"a"}],"e":""}]}`)))
	assert.Equal(t, []string{""}, s.Value())

	// Shape errors from the JSON decoder.
	for _, in := range []string{
		`{"context":{"cloud":[],"vv":[]},"elements":[],"x":1}`,
		`{"context":{"cloud":[],"vv":[]},"elements":[{"dots":[{"n":1,"r":"a"}],"e":5}]}`,
		`{"context":{"cloud":[],"vv":[]},"elements":{}}`,
		`{"context":{"cloud":[],"vv":[]},"elements":[]} []`,
		`{"context":{"cloud":[],"vv":[{"n":-1,"r":"a"}]},"elements":[]}`,
		`{"context":{"cloud":[],"vv":[],"extra":1},"elements":[]}`,
	} {
		assert.ErrorIs(t, NewORSet[string]("me").LoadPayload([]byte(in)), payload.ErrInvalid, in)
	}

	// Through the envelope the path starts at "state".
	_, err := payload.Unmarshal([]byte(`{"state":{"context":{"cloud":[],"vv":[]},"elements":[{"dots":[{"n":1,"r":"a"}],"e":"x"}]},"type":"sets.ORSet[string]","version":1}`), "me")
	var fe *payload.FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	assert.Equal(t, "state.elements[0].dots[0]", fe.Field)
}

func TestORSetLoadKeepsIdentity(t *testing.T) {
	a := NewORSet[string]("a")
	mustAdd(t, a, "x")
	b, err := payload.UnmarshalAs[*ORSet[string]]([]byte(encode(t, a)), "b")
	require.NoError(t, err)
	mustAdd(t, b, "y")
	assert.Equal(t, []causal.Dot{dotOf("b", 1)}, dotsOf(b, "y"))
	// Loading into an existing set keeps its replica and drops its delta.
	mustAdd(t, a, "z")
	require.NoError(t, a.LoadPayload([]byte(`{"context":{"cloud":[],"vv":[]},"elements":[]}`)))
	_, ok := a.TakeDelta()
	assert.False(t, ok)
	assert.Equal(t, crdt.ReplicaID("a"), a.Replica())
	assert.Empty(t, a.Value())
}

// ---- Property test against an independent oracle ----

// The oracle models the causal history directly. Each operation has a unique
// id; an add of e, and a remove of e, "cover" every add of e that is live in
// the issuing replica's history at that moment, that is not covered already
// (a re-add supersedes the adds it sees live, as a remove does). Adds that
// are covered already are not covered again: their dots left the element
// with the earlier operation, and a delta carries only the dots it cancels,
// so a remove's delta that overtakes the re-add's does not cancel the adds
// the re-add superseded. An element is in a replica's set iff its
// history holds an add of it that no operation in the history covers. A
// replica's history is a set of operation ids; merging a full state unions
// histories, a delta carries the operations made since the last TakeDelta.
type oracleOp struct {
	add    bool
	elem   int
	covers map[int]bool
}

type oracleWorld struct {
	ops []oracleOp
}

func (w *oracleWorld) members(hist map[int]bool) []int {
	covered := map[int]bool{}
	for id := range hist {
		for c := range w.ops[id].covers {
			covered[c] = true
		}
	}
	set := map[int]bool{}
	for id := range hist {
		if op := w.ops[id]; op.add && !covered[id] {
			set[op.elem] = true
		}
	}
	out := slices.Sorted(maps.Keys(set))
	if out == nil {
		out = []int{}
	}
	return out
}

func (w *oracleWorld) record(hist map[int]bool, add bool, e int) int {
	covered := map[int]bool{}
	for id := range hist {
		maps.Copy(covered, w.ops[id].covers)
	}
	covers := map[int]bool{}
	for id := range hist {
		if op := w.ops[id]; op.add && op.elem == e && !covered[id] {
			covers[id] = true
		}
	}
	w.ops = append(w.ops, oracleOp{add: add, elem: e, covers: covers})
	id := len(w.ops) - 1
	hist[id] = true
	return id
}

func TestORSetMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const n = 3
		var w oracleWorld
		sets := make([]*ORSet[int], n)
		hist := make([]map[int]bool, n)    // full causal history per replica
		pending := make([]map[int]bool, n) // ops since the last TakeDelta
		type delta struct {
			s   *ORSet[int]
			ops map[int]bool
		}
		var inFlight []delta
		for i := range n {
			sets[i] = NewORSet[int](crdt.ReplicaID(rune('a' + i)))
			hist[i], pending[i] = map[int]bool{}, map[int]bool{}
		}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			switch rapid.IntRange(0, 4).Draw(t, "action") {
			case 0, 1: // add
				e := rapid.IntRange(0, 3).Draw(t, "elem")
				if err := sets[i].Add(e); err != nil {
					t.Fatal(err)
				}
				pending[i][w.record(hist[i], true, e)] = true
			case 2: // remove
				e := rapid.IntRange(0, 3).Draw(t, "elem")
				present := slices.Contains(w.members(hist[i]), e)
				if sets[i].Remove(e) != present {
					t.Fatalf("Remove(%d) on %d disagrees with the oracle (present=%v)", e, i, present)
				}
				if present {
					pending[i][w.record(hist[i], false, e)] = true
				}
			case 3: // take a delta and put it in flight
				if d, ok := sets[i].TakeDelta(); ok {
					inFlight = append(inFlight, delta{d, pending[i]})
					pending[i] = map[int]bool{}
				} else if len(pending[i]) > 0 {
					t.Fatalf("no delta but %d pending ops", len(pending[i]))
				}
			case 4: // deliver a delta in flight or a full state, to j
				j := rapid.IntRange(0, n-1).Draw(t, "to")
				if len(inFlight) > 0 && rapid.Bool().Draw(t, "delta") {
					k := rapid.IntRange(0, len(inFlight)-1).Draw(t, "which")
					d := inFlight[k]
					if err := sets[j].Merge(d.s); err != nil {
						t.Fatal(err)
					}
					maps.Copy(hist[j], d.ops)
				} else {
					if err := sets[j].Merge(sets[i]); err != nil {
						t.Fatal(err)
					}
					maps.Copy(hist[j], hist[i])
				}
			}
			for k := range n {
				if got, want := sets[k].Value(), w.members(hist[k]); !slices.Equal(got, want) {
					t.Fatalf("replica %d: set %v, oracle %v", k, got, want)
				}
			}
		}
	})
}

func TestORSetLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*ORSet[string], []string]{
		New: func(r crdt.ReplicaID) *ORSet[string] { return NewORSet[string](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *ORSet[string]) {
			e := rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "elem")
			if rapid.IntRange(0, 2).Draw(t, "op") < 2 {
				if err := s.Add(e); err != nil {
					t.Fatal(err)
				}
			} else {
				s.Remove(e)
			}
		},
	})
}

func TestORSetLawsIntElements(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*ORSet[int64], []int64]{
		New: func(r crdt.ReplicaID) *ORSet[int64] { return NewORSet[int64](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *ORSet[int64]) {
			e := rapid.Int64Range(-2, 2).Draw(t, "elem")
			if rapid.Bool().Draw(t, "add") {
				if err := s.Add(e); err != nil {
					t.Fatal(err)
				}
			} else {
				s.Remove(e)
			}
		},
		Replicas: 4,
	})
}

// The law checker catches the ORSWOT bug from the field notes: a merge that
// keeps only the dots the other side has not seen drops shared adds.
func TestORSetLawsCatchDroppedSharedDot(t *testing.T) {
	err := crdttest.Verify(crdttest.Spec[*brokenORSet, []string]{
		New: func(r crdt.ReplicaID) *brokenORSet { return &brokenORSet{ORSet: NewORSet[string](r)} },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *brokenORSet) {
			e := rapid.SampledFrom([]string{"a", "b"}).Draw(t, "elem")
			if rapid.Bool().Draw(t, "add") {
				_ = s.Add(e)
			} else {
				s.Remove(e)
			}
		},
	}, crdttest.Only(crdttest.LawIdempotent))
	require.Error(t, err)
	assert.Contains(t, crdttest.Violated(err), crdttest.LawIdempotent)
}

// brokenORSet merges with (a \ cb) ∪ (b \ ca), forgetting a ∩ b.
type brokenORSet struct{ *ORSet[string] }

func (s *brokenORSet) Merge(o *brokenORSet) error {
	var next causal.DotMap[string]
	for e, ds := range s.elems.All() {
		ob, _ := o.elems.Get(e)
		var keep []causal.Dot
		for d := range ds.All() {
			if !o.ctx.Contains(d) {
				keep = append(keep, d)
			}
		}
		for d := range ob.All() {
			if !s.ctx.Contains(d) {
				keep = append(keep, d)
			}
		}
		next.Set(e, causal.DotSetOf(keep...))
	}
	for e, ob := range o.elems.All() {
		if s.elems.Has(e) {
			continue
		}
		next.Set(e, ob.Without(&s.ctx))
	}
	s.elems = next
	s.ctx.Merge(&o.ctx)
	return nil
}
func (s *brokenORSet) Clone() *brokenORSet { return &brokenORSet{s.ORSet.Clone()} }
func (s *brokenORSet) TakeDelta() (*brokenORSet, bool) {
	d, ok := s.ORSet.TakeDelta()
	if !ok {
		return nil, false
	}
	return &brokenORSet{d}, true
}
func (s *brokenORSet) MergeState(o crdt.State) error { return crdt.MergeStateAs[*brokenORSet](s, o) }
func (s *brokenORSet) CloneState() crdt.State        { return s.Clone() }
func (s *brokenORSet) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}
