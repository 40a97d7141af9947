package causal

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func dot(r string, n uint64) Dot { return Dot{Replica: crdt.ReplicaID(r), Counter: n} }

// genDot draws a dot from a small space so that collisions, gaps and
// contiguous runs are all frequent.
func genDot() *rapid.Generator[Dot] {
	return rapid.Custom(func(t *rapid.T) Dot {
		r := rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "r")
		return dot(r, rapid.Uint64Range(1, 12).Draw(t, "n"))
	})
}

// oracle is the plain set of dots a context stands for.
type oracle map[Dot]bool

func build(dots []Dot) (*Context, oracle) {
	c, o := new(Context), oracle{}
	for _, d := range dots {
		c.Add(d)
		o[d] = true
	}
	return c, o
}

// checkCompact asserts the invariant behind canonical payloads.
func checkCompact(t interface{ Fatalf(string, ...any) }, c *Context) {
	n := 0
	for _, d := range c.cloudDots() {
		n++
		if v := c.vv[d.Replica]; d.Counter <= v+1 {
			t.Fatalf("cloud dot %s not compact against vector entry %d", d, v)
		}
	}
	if n != c.ncloud {
		t.Fatalf("cloud holds %d dots, counted %d", n, c.ncloud)
	}
	for r, rc := range c.cloud {
		if len(rc) == 0 {
			t.Fatalf("empty cloud set kept for %s", r)
		}
	}
	for r, n := range c.vv {
		if n == 0 {
			t.Fatalf("zero vector entry for %s", r)
		}
	}
}

// checkSame asserts that c holds exactly the dots of o (over the drawn space).
func checkSame(t *rapid.T, c *Context, o oracle) {
	for _, r := range []string{"a", "b", "c", "d", "e"} {
		for n := uint64(1); n <= 14; n++ {
			d := dot(r, n)
			if c.Contains(d) != o[d] {
				t.Fatalf("Contains(%s) = %v, oracle says %v", d, c.Contains(d), o[d])
			}
		}
	}
	checkCompact(t, c)
}

func TestContextNextAndAdd(t *testing.T) {
	var c Context
	next := func(r crdt.ReplicaID) Dot {
		d, err := c.Next(r)
		require.NoError(t, err)
		return d
	}
	assert.Equal(t, dot("a", 1), next("a"))
	assert.Equal(t, dot("a", 2), next("a"))
	assert.Equal(t, dot("b", 1), next("b"))

	c.Add(dot("c", 3))
	c.Add(dot("c", 5))
	v, cl := c.Size()
	assert.Equal(t, 2, v)
	assert.Equal(t, 2, cl)
	assert.True(t, c.Contains(dot("c", 3)))
	assert.False(t, c.Contains(dot("c", 4)))
	assert.False(t, c.Contains(dot("c", 1)))

	// Filling the gaps folds the whole run into the vector.
	c.Add(dot("c", 1))
	c.Add(dot("c", 2))
	assert.Equal(t, uint64(3), c.Max("c"))
	c.Add(dot("c", 4))
	assert.Equal(t, uint64(5), c.Max("c"))
	v, cl = c.Size()
	assert.Equal(t, 3, v)
	assert.Equal(t, 0, cl)
}

func TestContextNextSkipsOwnCloudDots(t *testing.T) {
	// A cloud dot of the replica itself (identity reused after a loss): Next
	// must not issue a dot at or below it.
	c := NewContext(dot("a", 1), dot("a", 7))
	d, err := c.Next("a")
	require.NoError(t, err)
	assert.Equal(t, dot("a", 8), d)
	assert.True(t, c.Contains(dot("a", 8)))
	assert.False(t, c.Contains(dot("a", 2)))
}

func TestContextAddPanicsOnInvalidDot(t *testing.T) {
	var c Context
	assert.Panics(t, func() { c.Add(Dot{Replica: "a"}) })
	assert.Panics(t, func() { c.Add(Dot{Counter: 1}) })
	assert.Panics(t, func() { c.Add(dot("a", MaxCounter+1)) })
	_, err := c.Next("")
	assert.ErrorIs(t, err, crdt.ErrNoReplica)
	c.Add(dot("a", MaxCounter))
	_, err = c.Next("a")
	assert.ErrorIs(t, err, ErrExhausted)
	assert.True(t, c.Equal(NewContext(dot("a", MaxCounter))))
}

func TestContextAddMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, o := build(rapid.SliceOf(genDot()).Draw(t, "dots"))
		checkSame(t, c, o)
	})
}

func TestContextMergeIsUnion(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, oa := build(rapid.SliceOf(genDot()).Draw(t, "a"))
		b, ob := build(rapid.SliceOf(genDot()).Draw(t, "b"))
		bBefore := b.Clone()

		ab := a.Clone()
		ab.Merge(b)
		ba := b.Clone()
		ba.Merge(a)
		union := maps.Clone(oa)
		maps.Copy(union, ob)
		checkSame(t, ab, union)
		if !ab.Equal(ba) {
			t.Fatalf("merge not commutative")
		}
		if !b.Equal(bBefore) {
			t.Fatalf("merge changed its argument")
		}
		again := ab.Clone()
		again.Merge(b)
		if !again.Equal(ab) {
			t.Fatalf("merge not idempotent")
		}
		// Equality is set equality: a context built from the union's dots in
		// another order is equal.
		u, _ := build(slices.Collect(maps.Keys(union)))
		if !u.Equal(ab) {
			t.Fatalf("equal dot sets, unequal contexts")
		}
		// And canonical bytes.
		j1, err := json.Marshal(u)
		require.NoError(t, err)
		j2, err := json.Marshal(ab)
		require.NoError(t, err)
		if string(j1) != string(j2) {
			t.Fatalf("equal contexts encode differently: %s vs %s", j1, j2)
		}
	})
}

func TestContextCloneIsIndependent(t *testing.T) {
	a := NewContext(dot("a", 1), dot("b", 3))
	b := a.Clone()
	b.Add(dot("a", 2))
	b.Add(dot("b", 5))
	assert.False(t, a.Contains(dot("a", 2)))
	assert.False(t, a.Contains(dot("b", 5)))
}

func TestContextJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, o := build(rapid.SliceOf(genDot()).Draw(t, "dots"))
		data, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var d Context
		if err := d.UnmarshalJSON(data); err != nil {
			t.Fatalf("decoding %s: %v", data, err)
		}
		checkSame(t, &d, o)
		if !d.Equal(c) {
			t.Fatalf("round trip changed the context")
		}
	})
}

func TestContextJSONShape(t *testing.T) {
	c := NewContext(dot("b", 1), dot("b", 2), dot("a", 1), dot("b", 9), dot("a", 4))
	data, err := json.Marshal(c)
	require.NoError(t, err)
	assert.Equal(t, `{"cloud":[{"n":4,"r":"a"},{"n":9,"r":"b"}],"vv":[{"n":1,"r":"a"},{"n":2,"r":"b"}]}`, string(data))

	data, err = json.Marshal(new(Context))
	require.NoError(t, err)
	assert.Equal(t, `{"cloud":[],"vv":[]}`, string(data))
}

func TestContextDecodeRejects(t *testing.T) {
	cases := []struct{ in, field, msg string }{
		{`{"cloud":[],"vv":[{"n":0,"r":"a"}]}`, "vv[0].n", "counter 0"},
		{`{"cloud":[],"vv":[{"n":1,"r":""}]}`, "vv[0].r", "empty replica"},
		{`{"cloud":[],"vv":[{"n":9007199254740992,"r":"a"}]}`, "vv[0].n", "above the limit"},
		{`{"cloud":[],"vv":[{"n":1,"r":"a"},{"n":2,"r":"a"}]}`, "vv[1].r", "listed twice"},
		{`{"cloud":[{"n":2,"r":"a"}],"vv":[{"n":3,"r":"a"}]}`, "cloud[0]", "already covered"},
		{`{"cloud":[{"n":4,"r":"a"}],"vv":[{"n":3,"r":"a"}]}`, "cloud[0]", "directly follows"},
		{`{"cloud":[{"n":1,"r":"b"}],"vv":[]}`, "cloud[0]", "directly follows"},
		{`{"cloud":[{"n":5,"r":"a"},{"n":5,"r":"a"}],"vv":[]}`, "cloud[1]", "listed twice"},
		{`{"cloud":[{"n":0,"r":"a"}],"vv":[]}`, "cloud[0].n", "counter 0"},
		{`{"cloud":[]}`, "vv", "missing"},
		{`{"cloud":null,"vv":[]}`, "cloud", "missing"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			c := NewContext(dot("z", 1))
			err := c.UnmarshalJSON([]byte(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, payload.ErrInvalid)
			var fe *payload.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			assert.Equal(t, tc.field, fe.Field)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, c.Equal(NewContext(dot("z", 1))), "receiver changed on error")
		})
	}
	for _, in := range []string{`{"vv":[],"x":1}`, `{"vv":{}}`, `{"vv":[{"n":-1,"r":"a"}]}`, `[]`, `{"vv":[]} x`, ``} {
		var c Context
		assert.ErrorIs(t, c.UnmarshalJSON([]byte(in)), payload.ErrInvalid, in)
	}
}

// joinOracle is the join of the delta-CRDT paper, on plain sets.
func joinOracle(a oracle, ca oracle, b oracle, cb oracle) oracle {
	out := oracle{}
	for d := range a {
		if b[d] || !cb[d] {
			out[d] = true
		}
	}
	for d := range b {
		if a[d] || !ca[d] {
			out[d] = true
		}
	}
	return out
}

// genSide draws a context and a store of dots it holds.
func genSide(t *rapid.T, name string) (DotSet, *Context, oracle, oracle) {
	dots := rapid.SliceOf(genDot()).Draw(t, name+"ctx")
	c, oc := build(dots)
	var held []Dot
	os := oracle{}
	for _, d := range dots {
		if rapid.Bool().Draw(t, name+"held") && !os[d] {
			held = append(held, d)
			os[d] = true
		}
	}
	if len(held) > 3 {
		held = held[:3]
		os = oracle{}
		for _, d := range held {
			os[d] = true
		}
	}
	return DotSetOf(held...), c, os, oc
}

func toOracle(s DotSet) oracle {
	o := oracle{}
	for d := range s.All() {
		o[d] = true
	}
	return o
}

func TestJoinMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, ca, oa, oca := genSide(t, "a")
		b, cb, ob, ocb := genSide(t, "b")
		got := toOracle(Join(a, ca, b, cb))
		want := joinOracle(oa, oca, ob, ocb)
		if !maps.Equal(got, want) {
			t.Fatalf("Join = %v, want %v", got, want)
		}
		if !Join(a, ca, b, cb).Equal(Join(b, cb, a, ca)) {
			t.Fatalf("Join not commutative")
		}
		if !slices.IsSortedFunc(Join(a, ca, b, cb).AppendTo(nil), Dot.Compare) {
			t.Fatalf("Join result not sorted")
		}
	})
}

// The trap from the field notes: a dot both sides hold is in both contexts,
// and a join computed as (a \ cb) ∪ (b \ ca) drops it.
func TestJoinKeepsSharedDot(t *testing.T) {
	shared := dot("a", 1)
	ca := NewContext(shared, dot("a", 2))
	cb := NewContext(shared, dot("b", 1))
	for _, tc := range []struct{ a, b DotSet }{
		{DotSetOf(shared), DotSetOf(shared)},
		{DotSetOf(shared, dot("a", 2)), DotSetOf(shared)},
		{DotSetOf(shared), DotSetOf(shared, dot("b", 1))},
	} {
		got := Join(tc.a, ca, tc.b, cb)
		assert.True(t, got.Contains(shared), "Join(%v, %v) = %v", tc.a.AppendTo(nil), tc.b.AppendTo(nil), got.AppendTo(nil))
	}
}

func TestDotSet(t *testing.T) {
	var empty DotSet
	assert.True(t, empty.IsEmpty())
	assert.Equal(t, 0, empty.Len())
	assert.False(t, empty.Contains(Dot{}))
	s := DotSetOf(dot("b", 2), dot("a", 5), dot("b", 2))
	assert.Equal(t, 2, s.Len())
	assert.Equal(t, []Dot{dot("a", 5), dot("b", 2)}, s.AppendTo(nil))
	assert.True(t, s.Equal(DotSetOf(dot("a", 5), dot("b", 2))))
	assert.False(t, s.Equal(DotSetOf(dot("a", 5))))
	assert.Equal(t, []Dot{dot("b", 2)}, s.Without(NewContext(dot("a", 5))).AppendTo(nil))
	assert.True(t, s.Without(NewContext(dot("a", 5), dot("b", 1), dot("b", 2))).IsEmpty())
}

// DotMap.Join against the per-key oracle, with the key sets drawn
// independently.
func TestDotMapJoinMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type side struct {
			m  DotMap[string]
			c  *Context
			om map[string]oracle
		}
		draw := func(name string) side {
			dots := rapid.SliceOf(genDot()).Draw(t, name+"ctx")
			c, _ := build(dots)
			s := side{c: c, om: map[string]oracle{}}
			used := oracle{}
			for _, d := range dots {
				if used[d] || !rapid.Bool().Draw(t, name+"held") {
					continue
				}
				used[d] = true
				k := rapid.SampledFrom([]string{"x", "y", "z", "w"}).Draw(t, name+"key")
				if s.om[k] == nil {
					s.om[k] = oracle{}
				}
				s.om[k][d] = true
			}
			for k, o := range s.om {
				s.m.Set(k, DotSetOf(slices.Collect(maps.Keys(o))...))
			}
			return s
		}
		a, b := draw("a"), draw("b")
		// A dot held under two different keys is the mark of a reused
		// replica id: the join must refuse it.
		conflicting := false
		for k, o := range b.om {
			for d := range o {
				for k2, o2 := range a.om {
					if k2 != k && o2[d] {
						conflicting = true
					}
				}
			}
		}
		_, oca := build(slices.Collect(a.c.allDots()))
		_, ocb := build(slices.Collect(b.c.allDots()))
		// Both strategies, with and without a built index on either side.
		for _, walk := range []bool{false, true} {
			bBefore := b.m.Clone()
			m := a.m.Clone()
			if rapid.Bool().Draw(t, "index m") {
				m.Owner(dot("a", 1))
			}
			if rapid.Bool().Draw(t, "index b") {
				b.m.Owner(dot("a", 1))
			}
			before := m.Clone()
			j := joiner[string, struct{}]{m: &m, o: &b.m, la: newLookup(a.c), lo: newLookup(b.c), co: b.c}
			var err error
			if walk {
				err = j.walk()
			} else {
				err = j.point()
			}
			if conflicting {
				var ce *ConflictError
				if !errors.As(err, &ce) || !errors.Is(err, crdt.ErrConflict) {
					t.Fatalf("walk=%v: a dot under two keys gave %v, want a ConflictError", walk, err)
				}
				if !m.Equal(&before) {
					t.Fatalf("walk=%v: a refused join changed the receiver", walk)
				}
				continue
			}
			if err != nil {
				t.Fatalf("walk=%v: %v", walk, err)
			}
			for _, k := range []string{"x", "y", "z", "w"} {
				want := joinOracle(a.om[k], oca, b.om[k], ocb)
				got, ok := m.Get(k)
				if ok != (len(want) > 0) || !maps.Equal(toOracle(got), want) {
					t.Fatalf("walk=%v key %s: got %v (present %v), want %v", walk, k, got.AppendTo(nil), ok, want)
				}
			}
			checkIndex(t, &m)
			if !b.m.Equal(&bBefore) {
				t.Fatalf("Join changed its argument")
			}
		}
	})
}

// checkIndex asserts that a built index maps exactly the store's dots to
// their keys.
func checkIndex[K comparable, P any](t interface{ Fatalf(string, ...any) }, m *Store[K, P]) {
	if !m.indexed {
		return
	}
	want := indexOf(&m.keys)
	if want.Len() != m.index.Len() {
		t.Fatalf("index has %d dots, store %d", m.index.Len(), want.Len())
	}
	for d, k := range want.All() {
		if got, ok := m.index.Get(d); !ok || got != k {
			t.Fatalf("index maps %s to %v (%v), want %v", d, got, ok, k)
		}
	}
}

// allDots lists every dot of the context (test helper; contexts here are
// small).
func (c *Context) allDots() func(func(Dot) bool) {
	return func(yield func(Dot) bool) {
		for r, n := range c.vv {
			for i := uint64(1); i <= n; i++ {
				if !yield(Dot{Replica: r, Counter: i}) {
					return
				}
			}
		}
		for _, d := range c.cloudDots() {
			if !yield(d) {
				return
			}
		}
	}
}

func TestDotString(t *testing.T) {
	assert.Equal(t, "a:3", fmt.Sprint(dot("a", 3)))
	assert.True(t, Dot{}.IsZero())
	assert.Equal(t, -1, dot("a", 9).Compare(dot("b", 1)))
	assert.Equal(t, -1, dot("a", 2).Compare(dot("a", 10)))
}

// DotChecker against a plain map: same verdicts, whatever the budget.
func TestDotCheckerMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx, oc := build(rapid.SliceOf(genDot()).Draw(t, "ctx"))
		dots := rapid.SliceOf(genDot()).Draw(t, "dots")
		chk := NewDotChecker(ctx, rapid.IntRange(-64, 3).Draw(t, "n"))
		if rapid.Bool().Draw(t, "tiny budget") {
			chk.budget = uint64(rapid.IntRange(0, 12).Draw(t, "budget"))
		}
		used := oracle{}
		for _, d := range dots {
			err := chk.Check(d)
			switch {
			case !oc[d]:
				if err == nil || !strings.Contains(err.Error(), "beyond") {
					t.Fatalf("Check(%s) = %v, want beyond context", d, err)
				}
			case used[d]:
				if err == nil || !strings.Contains(err.Error(), "twice") {
					t.Fatalf("Check(%s) = %v, want listed twice", d, err)
				}
			default:
				if err != nil {
					t.Fatalf("Check(%s) = %v", d, err)
				}
				used[d] = true
			}
		}
	})
}

func TestDotCheckerInvalidDot(t *testing.T) {
	chk := NewDotChecker(NewContext(dot("a", 1)), 1)
	var fe *payload.FieldError
	err := chk.Check(Dot{Replica: "a"})
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "n", fe.Field)
	err = payload.InField("dots[0]", chk.Check(dot("a", 2)))
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "dots[0]", fe.Field)
	assert.ErrorIs(t, err, payload.ErrInvalid)
}
