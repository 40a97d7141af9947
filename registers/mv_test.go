package registers

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/itc"
	"github.com/crdtkit/crdtkit/payload"
)

func mvPayloadOf[T any](t *testing.T, r *MV[T]) string {
	t.Helper()
	RegisterMV[T]()
	return mustPayload(t, r)
}

func TestMVEmpty(t *testing.T) {
	r := NewMV[string]("a")
	require.Equal(t, []string{}, r.Value())
	require.Equal(t, 0, r.Len())
	_, ok := r.TakeDelta()
	require.False(t, ok)
	require.Equal(t, `{"state":{"clock":0,"values":[]},"type":"registers.MV[string]","version":1}`, mustPayload(t, r))
	require.NoError(t, r.Resolve(SeedIdentity(), func([]string) string { panic("not called") }))
	require.Equal(t, 0, r.Len())
}

func TestMVWriteWithoutIdentity(t *testing.T) {
	r := NewMV[string]("a")
	seed := SeedIdentity()
	retired := seed.Fork()
	require.NoError(t, retired.Retire(seed))
	for name, id := range map[string]*Identity{"nil": nil, "zero": {}, "retired": retired} {
		err := r.Set(id, "x")
		require.ErrorIs(t, err, ErrNoIdentity, name)
		require.ErrorIs(t, err, itc.ErrAnonymous, name)
		require.Equal(t, 0, r.Len())
	}
}

func TestMVWriteAndPayload(t *testing.T) {
	seed := SeedIdentity()
	a := NewMV[string]("a")
	require.NoError(t, a.Set(seed, "x"))
	require.Equal(t, []string{"x"}, a.Value())
	require.Equal(t, `{"state":{"clock":1,"values":[{"event":1,"value":"x"}]},"type":"registers.MV[string]","version":1}`, mustPayload(t, a))
	require.NoError(t, a.Set(seed, "y"))
	require.Equal(t, []string{"y"}, a.Value())
	require.Equal(t, `{"state":{"clock":2,"values":[{"event":2,"value":"y"}]},"type":"registers.MV[string]","version":1}`, mustPayload(t, a))
}

// Two replicas forked from the seed write concurrently: both values survive;
// a write that has seen both replaces them.
func TestMVConcurrentSiblings(t *testing.T) {
	ia := SeedIdentity()
	ib := ia.Fork()
	a, b := NewMV[string]("a"), NewMV[string]("b")
	require.NoError(t, a.Set(ia, "pear"))
	require.NoError(t, b.Set(ib, "apple"))
	ab, err := crdt.Merge(a, b)
	require.NoError(t, err)
	ba, err := crdt.Merge(b, a)
	require.NoError(t, err)
	require.Equal(t, []string{"apple", "pear"}, ab.Value())
	require.Equal(t, mustPayload(t, ab), mustPayload(t, ba))
	require.Equal(t,
		`{"state":{"clock":1,"values":[{"event":[0,0,1],"value":"apple"},{"event":[0,1,0],"value":"pear"}]},"type":"registers.MV[string]","version":1}`,
		mustPayload(t, ab))

	require.NoError(t, ab.Resolve(ia, func(vs []string) string { return strings.Join(vs, "+") }))
	require.Equal(t, []string{"apple+pear"}, ab.Value())
	require.NoError(t, b.Merge(ab))
	require.Equal(t, []string{"apple+pear"}, b.Value())
	// The old state of b, merged again, changes nothing.
	require.NoError(t, b.Merge(ba))
	require.Equal(t, []string{"apple+pear"}, b.Value())
}

func TestMVEqualConcurrentValues(t *testing.T) {
	ia := SeedIdentity()
	ib := ia.Fork()
	a, b := NewMV[int64]("a"), NewMV[int64]("b")
	require.NoError(t, a.Set(ia, 7))
	require.NoError(t, b.Set(ib, 7))
	require.NoError(t, a.Merge(b))
	require.Equal(t, 2, a.Len())
	require.Equal(t, []int64{7}, a.Value())
	require.NoError(t, a.Resolve(ia, func([]int64) int64 { panic("one distinct value: no call") }))
	require.Equal(t, 2, a.Len())
	require.NoError(t, a.Set(ia, 7))
	require.Equal(t, 1, a.Len())
}

func TestMVValueOrder(t *testing.T) {
	ids := []*Identity{SeedIdentity()}
	for range 3 {
		ids = append(ids, ids[0].Fork())
	}
	acc := NewMV[int64]("acc")
	for i, v := range []int64{10, -3, 9, 100} {
		r := NewMV[int64]("r")
		require.NoError(t, r.Set(ids[i], v))
		require.NoError(t, acc.Merge(r))
	}
	require.Equal(t, []int64{-3, 9, 10, 100}, acc.Value(), "numbers by value, not by JSON text")
}

// The delta of a write is the write with its causal past as clock. At a
// receiver that holds siblings the writer had not all seen, it replaces
// exactly those the writer had seen.
func TestMVDeltaDropsWhatTheWriterSaw(t *testing.T) {
	ia := SeedIdentity()
	ib, ic := ia.Fork(), ia.Fork()
	a, b, c := NewMV[string]("a"), NewMV[string]("b"), NewMV[string]("c")
	require.NoError(t, a.Set(ia, "x"))
	require.NoError(t, b.Set(ib, "y"))
	// The receiver holds x and y.
	recv, err := crdt.Merge(a, b)
	require.NoError(t, err)
	require.Equal(t, []string{"x", "y"}, recv.Value())
	// c has seen x only, and writes z.
	require.NoError(t, c.Merge(a))
	require.NoError(t, c.Set(ic, "z"))
	d, ok := c.TakeDelta()
	require.True(t, ok)
	require.Equal(t, 1, d.Len())
	require.True(t, d.Clock().Equal(d.sibs[0].ev), "a write's delta has its event as clock")

	viaDelta := recv.Clone()
	require.NoError(t, viaDelta.Merge(d))
	require.Equal(t, []string{"y", "z"}, viaDelta.Value(), "x was seen by z's writer, y was not")
	viaFull := recv.Clone()
	require.NoError(t, viaFull.Merge(c))
	require.Equal(t, mustPayload(t, viaFull), mustPayload(t, viaDelta))

	// x arriving again later, from a stale full state, stays replaced: the
	// delta's clock carried z's causal past.
	require.NoError(t, viaDelta.Merge(a))
	require.Equal(t, []string{"y", "z"}, viaDelta.Value())
}

func TestMVDeltaLaw(t *testing.T) {
	ia := SeedIdentity()
	ib := ia.Fork()
	a, b := NewMV[string]("a"), NewMV[string]("b")
	require.NoError(t, b.Set(ib, "b1"))
	require.NoError(t, a.Merge(b))
	stale := a.Clone()
	var deltas []*MV[string]
	for _, v := range []string{"a1", "a2", "a3"} {
		require.NoError(t, a.Set(ia, v))
		d, ok := a.TakeDelta()
		require.True(t, ok)
		deltas = append(deltas, d)
	}
	// In any order, each delta alone or all of them give the full state.
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2}} {
		s := stale.Clone()
		for _, i := range order {
			require.NoError(t, s.Merge(deltas[i]))
		}
		require.Equal(t, mustPayload(t, a), mustPayload(t, s), "order %v", order)
	}
	// Two writes without TakeDelta between them: the pending delta is the last.
	require.NoError(t, a.Set(ia, "a4"))
	require.NoError(t, a.Set(ia, "a5"))
	d, _ := a.TakeDelta()
	require.Equal(t, []string{"a5"}, d.Value())
	_, ok := a.Clone().TakeDelta()
	require.False(t, ok)
	// Merges record no delta.
	require.NoError(t, a.Merge(b))
	_, ok = a.TakeDelta()
	require.False(t, ok)
}

// Twins: an identity copied rather than forked. Their first writes on the
// same clock have equal events; merge sees two values under one event.
func TestMVOverlapDetected(t *testing.T) {
	ia := SeedIdentity()
	twin := NewIdentity(ia.ID())
	a, b := NewMV[string]("a"), NewMV[string]("b")
	require.NoError(t, a.Set(ia, "mine"))
	require.NoError(t, b.Set(twin, "also mine"))
	before := mustPayload(t, a)
	err := a.Merge(b)
	require.ErrorIs(t, err, crdt.ErrConflict)
	require.Equal(t, before, mustPayload(t, a), "receiver unchanged")
	require.ErrorIs(t, b.MergeState(a), crdt.ErrConflict)

	// Identical twin writes cannot be told apart, and need not be.
	c := NewMV[string]("c")
	require.NoError(t, c.Set(twin, "mine"))
	require.NoError(t, a.Merge(c))
	require.Equal(t, 1, a.Len())

	// Retiring into a copy is refused.
	require.ErrorIs(t, twin.Retire(ia), itc.ErrOverlappingID)
	require.ErrorIs(t, ia.Retire(ia), itc.ErrOverlappingID)
	require.False(t, twin.IsNull())
}

// What overlap detection cannot catch: a twin whose write dominates the
// other's. The dominated write is dropped as if it had been seen.
func TestMVOverlapUndetectable(t *testing.T) {
	ia := SeedIdentity()
	twin := NewIdentity(ia.ID())
	a, b := NewMV[string]("a"), NewMV[string]("b")
	require.NoError(t, a.Set(ia, "lost"))
	require.NoError(t, b.Set(twin, "first"))
	require.NoError(t, b.Set(twin, "second")) // event 2 > a's event 1
	require.NoError(t, a.Merge(b))
	require.Equal(t, []string{"second"}, a.Value(), "a's concurrent write vanished without error")
}

// The lifecycle rules of Identity matter: a replica that takes over a
// retired identity without merging its state drops the retiree's writes.
func TestMVRetireWithoutMergeLosesWrites(t *testing.T) {
	ia := SeedIdentity()
	ib := ia.Fork()
	a, b := NewMV[string]("a"), NewMV[string]("b")
	require.NoError(t, a.Set(ia, "a1"))
	require.NoError(t, b.Set(ib, "b1"))
	require.NoError(t, a.Merge(b))
	require.NoError(t, b.Merge(a))
	for i := range 4 {
		require.NoError(t, a.Set(ia, fmt.Sprint("a1.", i)))
	}
	require.NoError(t, b.Set(ib, "b2")) // b's last writes, never shipped
	require.NoError(t, b.Set(ib, "b3"))
	require.NoError(t, ib.Retire(ia)) // wrong: a has not merged b's state
	require.NoError(t, a.Set(ia, "a2"))
	require.NoError(t, a.Merge(b))
	require.Equal(t, []string{"a2"}, a.Value(), "b3, concurrent with a2, was dropped")

	// The right way keeps it.
	ia, ib = SeedIdentity(), nil
	ib = ia.Fork()
	a, b = NewMV[string]("a"), NewMV[string]("b")
	require.NoError(t, a.Set(ia, "a1"))
	require.NoError(t, b.Set(ib, "b3"))
	require.NoError(t, a.Merge(b)) // merge the retiree's final state first
	require.NoError(t, ib.Retire(ia))
	require.Equal(t, []string{"a1", "b3"}, a.Value())
	require.NoError(t, a.Set(ia, "a2"))
	require.Equal(t, []string{"a2"}, a.Value())
	require.True(t, ia.ID().IsSeed())
}

func TestMVPayloadRoundTripHasNoIdentity(t *testing.T) {
	ia := SeedIdentity()
	ib := ia.Fork()
	a, b := NewMV[[]int]("a"), NewMV[[]int]("b")
	require.NoError(t, a.Set(ia, []int{1}))
	require.NoError(t, b.Set(ib, []int{2, 3}))
	require.NoError(t, a.Merge(b))
	data := mvPayloadOf(t, a)
	require.NotContains(t, data, `"id"`)
	s, err := payload.UnmarshalAs[*MV[[]int]]([]byte(data), "restarted")
	require.NoError(t, err)
	require.Equal(t, crdt.ReplicaID("restarted"), s.Replica())
	require.Equal(t, [][]int{{1}, {2, 3}}, s.Value())
	require.Equal(t, data, mvPayloadOf(t, s))
	err = s.Set(nil, []int{4})
	require.ErrorIs(t, err, ErrNoIdentity)
	require.NoError(t, s.Set(ia, []int{4}))
	require.Equal(t, [][]int{{4}}, s.Value())

	// Values do not alias the state.
	v := s.Value()
	v[0][0] = 99
	require.Equal(t, [][]int{{4}}, s.Value())
	c := s.Clone()
	require.NoError(t, s.Set(ia, []int{5}))
	require.Equal(t, [][]int{{4}}, c.Value())
}

func TestMVLoadPayloadInvalid(t *testing.T) {
	cases := map[string]struct{ data, field string }{
		"missing clock":        {`{"values":[]}`, "clock"},
		"missing values":       {`{"clock":0}`, "values"},
		"null values":          {`{"clock":0,"values":null}`, "values"},
		"null clock":           {`{"clock":null,"values":[]}`, "clock"},
		"clock not normal":     {`{"clock":[0,1,1],"values":[]}`, "clock"},
		"clock not lowered":    {`{"clock":[0,1,2],"values":[]}`, "clock"},
		"event not normal":     {`{"clock":2,"values":[{"event":[1,0,0],"value":"x"}]}`, "values[0].event"},
		"event beyond clock":   {`{"clock":1,"values":[{"event":2,"value":"x"}]}`, "values[0].event"},
		"dominated sibling":    {`{"clock":[0,2,0],"values":[{"event":[0,2,0],"value":"x"},{"event":[0,1,0],"value":"y"}]}`, "values[1].event"},
		"duplicate event":      {`{"clock":[0,1,0],"values":[{"event":[0,1,0],"value":"x"},{"event":[0,1,0],"value":"x"}]}`, "values[1].event"},
		"missing event":        {`{"clock":0,"values":[{"value":"x"}]}`, "values[0].event"},
		"missing value":        {`{"clock":1,"values":[{"event":1}]}`, "values[0].value"},
		"null value":           {`{"clock":1,"values":[{"event":1,"value":null}]}`, "values[0].value"},
		"wrong value type":     {`{"clock":1,"values":[{"event":1,"value":1}]}`, "values[0].value"},
		"id smuggled in":       {`{"clock":1,"id":1,"values":[{"event":1,"value":"x"}]}`, "id"},
		"unknown sibling key":  {`{"clock":1,"values":[{"event":1,"value":"x","id":1}]}`, ""},
		"negative counter":     {`{"clock":-1,"values":[]}`, "clock"},
		"counter too large":    {`{"clock":18446744073709551616,"values":[]}`, "clock"},
		"trailing":             {`{"clock":0,"values":[]}x`, ""},
		"values not an array":  {`{"clock":0,"values":{}}`, ""},
		"sibling not object":   {`{"clock":0,"values":[1]}`, ""},
		"string clock":         {`{"clock":"1","values":[]}`, "clock"},
		"float counter":        {`{"clock":1.0,"values":[]}`, "clock"},
		"leading zero counter": {`{"clock":01,"values":[]}`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := NewMV[string]("me")
			require.NoError(t, r.Set(SeedIdentity(), "keep"))
			before := mustPayload(t, r)
			err := r.LoadPayload([]byte(c.data))
			require.ErrorIs(t, err, payload.ErrInvalid)
			if c.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				require.Equal(t, c.field, fe.Field, "%v", err)
			}
			require.Equal(t, before, mustPayload(t, r), "receiver unchanged on error")
		})
	}
}

func TestMVLoadPayloadSortsAndAcceptsLargerClock(t *testing.T) {
	r := NewMV[string]("me")
	require.NoError(t, r.LoadPayload([]byte(`{"values":[{"value":"z","event":[0,1,0]},{"event":[0,0,1],"value":"a"}],"clock":[1,1,0]}`)))
	require.Equal(t, []string{"a", "z"}, r.Value())
	require.Equal(t, `{"state":{"clock":[1,1,0],"values":[{"event":[0,0,1],"value":"a"},{"event":[0,1,0],"value":"z"}]},"type":"registers.MV[string]","version":1}`, mustPayload(t, r))
}

func TestMVTypeNames(t *testing.T) {
	for _, name := range []string{"registers.MV[string]", "registers.MV[int64]", "registers.MV[float64]", "registers.MV[bool]"} {
		_, ok := payload.Default.Lookup(name)
		require.True(t, ok, name)
	}
	require.Equal(t, "registers.MV[map[string]int]", NewMV[map[string]int]("a").TypeName())
	require.ErrorIs(t, NewMV[string]("a").MergeState(NewLWW[string]("a")), crdt.ErrTypeMismatch)
}

func TestIdentityForkRetire(t *testing.T) {
	seed := SeedIdentity()
	b := seed.Fork()
	require.Equal(t, "(1, 0)", seed.String())
	require.Equal(t, "(0, 1)", b.String())
	c := b.Fork()
	require.Equal(t, "(0, (1, 0))", b.String())
	require.Equal(t, "(0, (0, 1))", c.String())
	require.NoError(t, c.Retire(seed))
	require.True(t, c.IsNull())
	require.Equal(t, "(1, (0, 1))", seed.String())
	require.NoError(t, b.Retire(seed))
	require.True(t, seed.ID().IsSeed())
	require.True(t, (&Identity{}).Fork().IsNull())
	var nilID *Identity
	require.True(t, nilID.IsNull())
	require.Error(t, nilID.Retire(seed))
}

func TestIdentityMarshal(t *testing.T) {
	seed := SeedIdentity()
	b := seed.Fork()
	c := b.Fork()
	for _, id := range []*Identity{seed, b, c, {}} {
		j, err := id.MarshalJSON()
		require.NoError(t, err)
		var back Identity
		require.NoError(t, back.UnmarshalJSON(j))
		require.True(t, back.ID().Equal(id.ID()), "%s", j)
		bin, err := id.MarshalBinary()
		require.NoError(t, err)
		var back2 Identity
		require.NoError(t, back2.UnmarshalBinary(bin))
		require.True(t, back2.ID().Equal(id.ID()))
	}
	j, _ := c.MarshalJSON()
	require.Equal(t, `[0,[0,1]]`, string(j))
	for _, bad := range []string{``, `null`, `2`, `[1,1]`, `[0,0]`, `[1]`, `{"id":1}`, `[0,1]x`} {
		id := SeedIdentity()
		err := id.UnmarshalJSON([]byte(bad))
		require.ErrorIs(t, err, itc.ErrInvalid, bad)
		require.True(t, id.ID().IsSeed(), "unchanged on error")
	}
	id := SeedIdentity()
	require.ErrorIs(t, id.UnmarshalBinary([]byte{0x01}), itc.ErrInvalid)
	require.True(t, id.ID().IsSeed())
}

func TestIdentityAdjacency(t *testing.T) {
	a := SeedIdentity()
	require.Equal(t, 0, a.Adjacency(&Identity{}))
	b := a.Fork() // a (1, 0), b (0, 1)
	require.Equal(t, 1, a.Adjacency(b))
	require.Equal(t, 1, b.Adjacency(a))
	c := b.Fork() // b (0, (1, 0)), c (0, (0, 1))
	require.Equal(t, 1, a.Adjacency(b))
	require.Equal(t, 0, a.Adjacency(c))
	require.Equal(t, 1, b.Adjacency(c))
	require.NoError(t, c.Retire(a)) // a (1, (0, 1)) surrounds b
	require.Equal(t, "(1, (0, 1))", a.String())
	require.Equal(t, 2, a.Adjacency(b))
	require.Equal(t, 2, b.Adjacency(a))
	require.Equal(t, []interval{{"", "1"}, {"11", "!"}}, ownedIntervals(a.ID()))
	require.Equal(t, []interval{{"1", "11"}}, ownedIntervals(b.ID()))
	// Deep ids: a chain of forks to the right.
	d := SeedIdentity()
	var last *Identity
	for range 70 {
		last = d.Fork()
		d, last = last, d
	}
	require.Equal(t, 1, d.Adjacency(last), "%v / %v", d, last)
}

func TestMVCounterOverflow(t *testing.T) {
	r := NewMV[string]("me")
	require.NoError(t, r.LoadPayload([]byte(`{"clock":18446744073709551615,"values":[{"event":18446744073709551615,"value":"max"}]}`)))
	before := mustPayload(t, r)
	err := r.Set(SeedIdentity(), "more")
	require.ErrorIs(t, err, itc.ErrCounterOverflow)
	require.Equal(t, before, mustPayload(t, r), "unchanged on error")
	_, ok := r.TakeDelta()
	require.False(t, ok)
}

// A forked replica that starts empty instead of from its parent's state
// writes events that its parent's earlier writes dominate: its write is lost.
func TestMVForkWithoutStateLosesWrites(t *testing.T) {
	parent := SeedIdentity()
	p := NewMV[string]("p")
	for _, v := range []string{"p1", "p2", "p3"} {
		require.NoError(t, p.Set(parent, v))
	}
	child := parent.Fork()
	wrong := NewMV[string]("c") // should have been a copy of p
	require.NoError(t, wrong.Set(child, "child's write"))
	got, err := crdt.Merge(p, wrong)
	require.NoError(t, err)
	require.Equal(t, []string{"p3"}, got.Value(), "the child's write looks older than p3 and is dropped")

	right := p.Clone()
	require.NoError(t, right.Set(child, "child's write"))
	require.NoError(t, p.Set(parent, "p4"))
	got, err = crdt.Merge(p, right)
	require.NoError(t, err)
	require.Equal(t, []string{"child's write", "p4"}, got.Value())
}
