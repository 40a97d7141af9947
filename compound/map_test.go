package compound

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
)

type pnMap = Map[string, *counters.PNCounter]
type gMap = Map[string, *counters.GCounter]

func newPNMap(r crdt.ReplicaID) *pnMap { return NewMap[string](r, counters.NewPNCounter) }
func newGMap(r crdt.ReplicaID) *gMap   { return NewMap[string](r, counters.NewGCounter) }

func init() {
	RegisterMap[string](counters.NewGCounter)
}

// inc is an Update function adding n to a PN counter.
func inc(n uint64) func(*counters.PNCounter) error {
	return func(c *counters.PNCounter) error { return c.Inc(n) }
}

func ginc(n uint64) func(*counters.GCounter) error {
	return func(c *counters.GCounter) error { return c.Inc(n) }
}

func mustMerge[K comparable, V crdt.State](t testing.TB, dst, src *Map[K, V]) {
	t.Helper()
	require.NoError(t, dst.Merge(src))
}

func mustMarshal(t testing.TB, s crdt.State) []byte {
	t.Helper()
	b, err := payload.Marshal(s)
	require.NoError(t, err)
	return b
}

// pnValues returns the counter values of a map of PN counters.
func pnValues(m *pnMap) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m.All() {
		out[k] = v.Value()
	}
	return out
}

func TestMapTypeName(t *testing.T) {
	assert.Equal(t, "compound.Map[string,counters.PNCounter]", newPNMap("a").TypeName())
	assert.Equal(t, "compound.Map[int,counters.GCounter]", NewMap[int]("a", counters.NewGCounter).TypeName())
	nested := NewMap[string]("a", func(r crdt.ReplicaID) *gMap { return newGMap(r) })
	assert.Equal(t, "compound.Map[string,compound.Map[string,counters.GCounter]]", nested.TypeName())
}

func TestMapUpdateGetRemove(t *testing.T) {
	m := newPNMap("a")
	_, ok := m.Get("x")
	assert.False(t, ok)
	require.NoError(t, m.Update("x", inc(3)))
	require.NoError(t, m.Update("x", inc(4)))
	require.NoError(t, m.Update("y", func(c *counters.PNCounter) error { return c.Dec(2) }))
	v, ok := m.Get("x")
	require.True(t, ok)
	assert.Equal(t, int64(7), v.Value())
	assert.Equal(t, []string{"x", "y"}, m.Keys())
	assert.Equal(t, 2, m.Len())
	assert.Equal(t, map[string]int64{"x": 7, "y": -2}, pnValues(m))

	assert.True(t, m.Remove("x"))
	assert.False(t, m.Remove("x"))
	assert.False(t, m.Has("x"))
	assert.Equal(t, []string{"y"}, m.Keys())

	// A re-added key starts from a fresh value.
	require.NoError(t, m.Update("x", inc(1)))
	v, _ = m.Get("x")
	assert.Equal(t, int64(1), v.Value())
}

func TestMapUpdateErrorLeavesMapUnchanged(t *testing.T) {
	m := newPNMap("a")
	require.NoError(t, m.Update("x", inc(3)))
	m.TakeDelta()
	before := mustMarshal(t, m)
	boom := errors.New("boom")
	err := m.Update("x", func(c *counters.PNCounter) error {
		_ = c.Inc(100) // changes the copy, then fails
		return boom
	})
	require.ErrorIs(t, err, boom)
	err = m.Update("new", func(c *counters.PNCounter) error { return boom })
	require.ErrorIs(t, err, boom)
	assert.Equal(t, string(before), string(mustMarshal(t, m)))
	_, ok := m.TakeDelta()
	assert.False(t, ok, "a failed update records no delta")
}

func TestMapUpdateWithoutReplica(t *testing.T) {
	m := newPNMap("")
	require.ErrorIs(t, m.Update("x", nil), crdt.ErrNoReplica)
	var zero Map[string, *counters.PNCounter]
	require.ErrorIs(t, zero.Update("x", nil), ErrNoValueType)
	require.ErrorIs(t, zero.LoadPayload([]byte(`{}`)), ErrNoValueType)
}

// TestMapValuesBoundToOwnReplica: a value copied from another replica is
// rebuilt for the receiving map's replica, so a later update there counts
// under the receiver's id, not the sender's.
func TestMapValuesBoundToOwnReplica(t *testing.T) {
	a, b := newGMap("a"), newGMap("b")
	require.NoError(t, b.Update("k", ginc(5)))
	mustMerge(t, a, b)
	require.NoError(t, a.Update("k", ginc(1)))
	v, _ := a.Get("k")
	assert.Equal(t, uint64(5), v.Count("b"))
	assert.Equal(t, uint64(1), v.Count("a"))
	assert.Equal(t, crdt.ReplicaID("a"), v.Replica())

	// Decoded values too.
	d, err := payload.UnmarshalAs[*gMap](mustMarshal(t, b), "c")
	require.NoError(t, err)
	require.NoError(t, d.Update("k", ginc(2)))
	v, _ = d.Get("k")
	assert.Equal(t, uint64(2), v.Count("c"))
	assert.Equal(t, uint64(5), v.Count("b"))
}

// TestMapRemoveVsConcurrentUpdateKeepsWholeValue proves the documented
// semantics of a remove concurrent with an update: the update wins, and the
// value that comes back is the updater's whole value, including what it had
// before the remove (no reset-remove).
func TestMapRemoveVsConcurrentUpdateKeepsWholeValue(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, a.Update("k", inc(5)))
	mustMerge(t, b, a) // both see k = 5

	assert.True(t, a.Remove("k"))             // A removes k ...
	require.NoError(t, b.Update("k", inc(1))) // ... while B adds 1

	ab, ba := a.Clone(), b.Clone()
	mustMerge(t, ab, b)
	mustMerge(t, ba, a)
	for name, m := range map[string]*pnMap{"a<-b": ab, "b<-a": ba} {
		v, ok := m.Get("k")
		require.True(t, ok, "%s: the concurrent update keeps the key", name)
		assert.Equal(t, int64(6), v.Value(), "%s: B's whole value (5 before the remove + 1) comes back", name)
	}
	assert.Equal(t, string(mustMarshal(t, ab)), string(mustMarshal(t, ba)))

	// The same through deltas only.
	a2, b2 := newPNMap("a"), newPNMap("b")
	require.NoError(t, a2.Update("k", inc(5)))
	d, _ := a2.TakeDelta()
	mustMerge(t, b2, d)
	a2.Remove("k")
	require.NoError(t, b2.Update("k", inc(1)))
	da, _ := a2.TakeDelta()
	db, _ := b2.TakeDelta()
	mustMerge(t, a2, db)
	mustMerge(t, b2, da)
	assert.Equal(t, map[string]int64{"k": 6}, pnValues(a2))
	assert.Equal(t, map[string]int64{"k": 6}, pnValues(b2))
}

// TestMapRemoveIsNotUndoneByStaleReplica: a value removed on one side and
// not updated on the other does not come back.
func TestMapRemoveIsNotUndoneByStaleReplica(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, a.Update("k", inc(5)))
	require.NoError(t, b.Update("j", inc(1)))
	mustMerge(t, b, a)
	a.Remove("k")
	mustMerge(t, a, b) // b still holds k, but a has seen its dot
	assert.False(t, a.Has("k"))
	mustMerge(t, b, a)
	assert.False(t, b.Has("k"))
	assert.Equal(t, map[string]int64{"j": 1}, pnValues(b))
}

// TestMapReAddDoesNotResurrect: after remove and re-add, a replica that had
// not yet seen the remove cannot bring the old value back.
func TestMapReAddDoesNotResurrect(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, a.Update("k", inc(5)))
	mustMerge(t, b, a) // b: k = 5, stale from here on
	a.Remove("k")
	require.NoError(t, a.Update("k", inc(1)))

	ab, ba := a.Clone(), b.Clone()
	mustMerge(t, ab, b)
	mustMerge(t, ba, a)
	assert.Equal(t, map[string]int64{"k": 1}, pnValues(ab))
	assert.Equal(t, map[string]int64{"k": 1}, pnValues(ba))

	// Through the deltas, delivered to a third replica in the worst order:
	// the re-add first, the old add last.
	c := newPNMap("c")
	a = newPNMap("a")
	require.NoError(t, a.Update("k", inc(5)))
	add, _ := a.TakeDelta()
	a.Remove("k")
	rm, _ := a.TakeDelta()
	require.NoError(t, a.Update("k", inc(1)))
	readd, _ := a.TakeDelta()
	mustMerge(t, c, readd)
	mustMerge(t, c, rm)
	mustMerge(t, c, add)
	assert.Equal(t, map[string]int64{"k": 1}, pnValues(c))
	assert.Equal(t, string(mustMarshal(t, a)), string(mustMarshal(t, c)))
}

// TestMapRemoveBeforeAdd: a remove that arrives before the update it removes
// is not lost (deferred remove): the receiver's context remembers the dot.
func TestMapRemoveBeforeAdd(t *testing.T) {
	a, c := newPNMap("a"), newPNMap("c")
	require.NoError(t, c.Update("other", inc(1)))
	require.NoError(t, a.Update("x", inc(1))) // dot a:1, on another key
	require.NoError(t, a.Update("k", inc(5))) // dot a:2
	addK, _ := a.TakeDelta()
	a.Remove("k")
	rm, _ := a.TakeDelta()

	mustMerge(t, c, rm) // c has never seen a:2
	vec, cloud := c.cc.Size()
	assert.Equal(t, 1, vec)
	assert.Equal(t, 1, cloud, "the removed dot a:2 waits in the cloud")
	mustMerge(t, c, addK)
	assert.False(t, c.Has("k"), "the late add is dropped")
	assert.True(t, c.Has("x"), "the add delta also carried x")
	mustMerge(t, c, a)
	assert.Equal(t, []string{"other", "x"}, c.Keys())
}

func TestMapConcurrentUpdatesJoin(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, a.Update("k", inc(2)))
	require.NoError(t, b.Update("k", inc(3)))
	mustMerge(t, a, b)
	v, _ := a.Get("k")
	assert.Equal(t, int64(5), v.Value())
	assert.Equal(t, 2, slotCount(a, "k"), "one slot per concurrent update")

	// A remove that observed only one of the concurrent updates removes only
	// that one.
	c, d := newPNMap("c"), newPNMap("d")
	require.NoError(t, c.Update("k", inc(2)))
	require.NoError(t, d.Update("k", inc(3)))
	d.Remove("k") // d has not seen c's update
	mustMerge(t, c, d)
	assert.Equal(t, map[string]int64{"k": 2}, pnValues(c))

	// The next update joins the slots into one.
	require.NoError(t, a.Update("k", inc(1)))
	assert.Equal(t, 1, slotCount(a, "k"))
	v, _ = a.Get("k")
	assert.Equal(t, int64(6), v.Value())
	mustMerge(t, b, a)
	assert.Equal(t, string(mustMarshal(t, a)), string(mustMarshal(t, b)))
}

// TestMapNoTombstones: thousands of add/remove cycles over three replicas
// leave a payload whose size depends on the live keys and the replicas, not
// on the history.
func TestMapNoTombstones(t *testing.T) {
	rs := []*pnMap{newPNMap("a"), newPNMap("b"), newPNMap("c")}
	sync := func() {
		for _, x := range rs {
			for _, y := range rs {
				mustMerge(t, x, y)
			}
		}
	}
	for i := range 3000 {
		r := rs[i%3]
		k := fmt.Sprintf("k%d", i%50)
		require.NoError(t, r.Update(k, inc(1)))
		if i%3 == 1 {
			r.Remove(fmt.Sprintf("k%d", (i*7)%50))
		}
		if i%10 == 0 {
			sync()
		}
	}
	sync()
	for _, r := range rs {
		r.Remove("k0") // leave at least something removed at the end
	}
	sync()
	vec, cloud := rs[0].cc.Size()
	assert.Equal(t, 3, vec)
	assert.Equal(t, 0, cloud)
	p := mustMarshal(t, rs[0])
	// A payload with at most 49 live keys, each with one or a few slots of
	// a three-replica counter: a few KiB, whatever the 3000 steps did.
	assert.Less(t, len(p), 49*3*200)
	assert.Equal(t, strings.Count(string(p), `"key"`), rs[0].Len())
}

func TestMapUpdateDeltaIndependentOfSize(t *testing.T) {
	size := func(n int) int {
		m := newPNMap("a")
		for i := range n {
			require.NoError(t, m.Update(fmt.Sprintf("key%07d", i), inc(1)))
		}
		m.TakeDelta()
		require.NoError(t, m.Update("key0000003", inc(1)))
		d, ok := m.TakeDelta()
		require.True(t, ok)
		return len(mustMarshal(t, d))
	}
	small, large := size(10), size(20000)
	// Only the digits of the dot counters differ.
	assert.InDelta(t, small, large, 8, "delta of one update: %d bytes in a 10-key map, %d in a 20000-key map", small, large)
	assert.Less(t, large, 400)
}

func TestMapMergeDoesNotAlias(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, b.Update("k", inc(1)))
	mustMerge(t, a, b)
	before := string(mustMarshal(t, b))
	require.NoError(t, a.Update("k", inc(10)))
	assert.Equal(t, before, string(mustMarshal(t, b)))
	require.NoError(t, b.Update("k", inc(100)))
	assert.Equal(t, int64(11), pnValues(a)["k"])
}

func TestMapValueIsACopy(t *testing.T) {
	m := newPNMap("a")
	require.NoError(t, m.Update("k", inc(1)))
	v := m.Value()
	require.NoError(t, v["k"].Inc(5))
	assert.Equal(t, int64(1), pnValues(m)["k"])
}

func TestMapCloneHasNoDelta(t *testing.T) {
	m := newPNMap("a")
	require.NoError(t, m.Update("k", inc(1)))
	c := m.Clone()
	_, ok := c.TakeDelta()
	assert.False(t, ok)
	require.NoError(t, c.Update("k", inc(1)))
	assert.Equal(t, int64(1), pnValues(m)["k"])
}

func TestMapPayloadShape(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, a.Update("y", inc(2)))
	require.NoError(t, a.Update("x", inc(1)))
	require.NoError(t, b.Update("x", func(c *counters.PNCounter) error { return c.Dec(1) }))
	mustMerge(t, a, b)
	got := string(mustMarshal(t, a))
	want := `{"state":{"context":{"cloud":[],"vv":[{"n":2,"r":"a"},{"n":1,"r":"b"}]},"entries":[` +
		`{"key":"x","values":[{"dot":{"n":2,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":1,"r":"a"}]}}},` +
		`{"dot":{"n":1,"r":"b"},"value":{"n":{"counts":[{"n":1,"r":"b"}]},"p":{"counts":[]}}}]},` +
		`{"key":"y","values":[{"dot":{"n":1,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":2,"r":"a"}]}}}]}]},` +
		`"type":"compound.Map[string,counters.PNCounter]","version":1}`
	assert.Equal(t, want, got)

	back, err := payload.UnmarshalAs[*pnMap](mustMarshal(t, a), "z")
	require.NoError(t, err)
	assert.Equal(t, got, string(mustMarshal(t, back)))
	assert.Equal(t, crdt.ReplicaID("z"), back.Replica())
}

func TestMapLoadPayloadErrors(t *testing.T) {
	ctx := `{"cloud":[],"vv":[{"n":3,"r":"a"}]}`
	val := `{"n":{"counts":[]},"p":{"counts":[{"n":1,"r":"a"}]}}`
	entry := func(key, dots string) string {
		return `{"key":` + key + `,"values":[` + dots + `]}`
	}
	sl := func(n int) string { return fmt.Sprintf(`{"dot":{"n":%d,"r":"a"},"value":%s}`, n, val) }
	cases := []struct{ name, data, field string }{
		{"no context", `{"entries":[]}`, "context"},
		{"no entries", `{"context":` + ctx + `}`, "entries"},
		{"bad context", `{"context":{"cloud":[],"vv":[{"n":0,"r":"a"}]},"entries":[]}`, "context.vv[0].n"},
		{"unknown field", `{"context":` + ctx + `,"entries":[],"x":1}`, "x"},
		{"key missing", `{"context":` + ctx + `,"entries":[{"values":[` + sl(1) + `]}]}`, "entries[0].key"},
		{"key wrong type", `{"context":` + ctx + `,"entries":[` + entry(`7`, sl(1)) + `]}`, "entries[0].key"},
		{"duplicate key", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, sl(1)) + `,` + entry(`"k"`, sl(2)) + `]}`, "entries[1].key"},
		{"no values", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, ``) + `]}`, "entries[0].values"},
		{"values missing", `{"context":` + ctx + `,"entries":[{"key":"k"}]}`, "entries[0].values"},
		{"dot missing", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, `{"value":`+val+`}`) + `]}`, "entries[0].values[0].dot"},
		{"dot counter 0", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, sl(0)) + `]}`, "entries[0].values[0].dot.n"},
		{"dot outside context", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, sl(4)) + `]}`, "entries[0].values[0].dot"},
		{"dot twice in entry", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, sl(1)+`,`+sl(1)) + `]}`, "entries[0].values[1].dot"},
		{"dot in two keys", `{"context":` + ctx + `,"entries":[` + entry(`"j"`, sl(1)) + `,` + entry(`"k"`, sl(1)) + `]}`, "entries[1].values[0].dot"},
		{"value missing", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, `{"dot":{"n":1,"r":"a"}}`) + `]}`, "entries[0].values[0].value"},
		{"value null", `{"context":` + ctx + `,"entries":[` + entry(`"k"`, `{"dot":{"n":1,"r":"a"},"value":null}`) + `]}`, "entries[0].values[0].value"},
		{"bad value", `{"context":` + ctx + `,"entries":[` + entry(`"j"`, sl(2)) + `,` + entry(`"k"`, `{"dot":{"n":1,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":0,"r":"a"}]}}}`) + `]}`, "entries[1].values[0].value.p.counts[0].n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newPNMap("a")
			require.NoError(t, m.Update("keep", inc(1)))
			before := string(mustMarshal(t, m))
			err := m.LoadPayload([]byte(tc.data))
			require.Error(t, err)
			assert.ErrorIs(t, err, payload.ErrInvalid)
			var fe *payload.FieldError
			if assert.ErrorAs(t, err, &fe) {
				assert.Equal(t, tc.field, fe.Field, "error: %v", err)
			}
			assert.Equal(t, before, string(mustMarshal(t, m)), "unchanged on error")
		})
	}
	m := newPNMap("a")
	require.NoError(t, m.LoadPayload([]byte(`{"context":`+ctx+`,"entries":[`+entry(`"k"`, sl(3)+`,`+sl(1))+`]}`)))
	assert.Equal(t, 2, slotCount(m, "k"))
	assert.Equal(t, int64(1), pnValues(m)["k"], "the join of two slots that each counted a:1 is 1, not 2")
}

// TestMapMergeSmallDeltaIntoLargeMap: merging a remove delta looks up its
// dots instead of scanning the map, and still finds them.
func TestMapMergeSmallDeltaIntoLargeMap(t *testing.T) {
	a := newPNMap("a")
	for i := range 1000 {
		require.NoError(t, a.Update(fmt.Sprint(i), inc(1)))
	}
	b := a.Clone()
	a.TakeDelta()
	a.Remove("500")
	a.Remove("7")
	d, _ := a.TakeDelta()
	assert.Equal(t, uint64(2), d.cc.Dots(), "the remove delta's context holds only the removed dots")
	mustMerge(t, b, d)
	assert.Equal(t, 998, b.Len())
	assert.False(t, b.Has("500"))
	assert.Equal(t, string(mustMarshal(t, a)), string(mustMarshal(t, b)))
	_ = causal.Dot{}
}

// TestMapReAddConcurrentWithOldUpdate pins the documented limit of whole
// values without reset-remove: A removes k and re-adds it with a fresh
// value, while B, which had seen A's old value, updates k. Both slots
// survive, and the key's value is their join. B's whole value carries A's
// old contributions, and values that keep one entry per replica (a counter's
// per-replica total, an MV register's events) let those hide what A did
// after the re-add.
func TestMapReAddConcurrentWithOldUpdate(t *testing.T) {
	a, b := newPNMap("a"), newPNMap("b")
	require.NoError(t, a.Update("k", inc(5)))
	mustMerge(t, b, a)
	a.Remove("k")
	require.NoError(t, a.Update("k", inc(1))) // a's count in the new value: 1
	require.NoError(t, b.Update("k", inc(1))) // b's value: a=5, b=1
	mustMerge(t, a, b)
	mustMerge(t, b, a)
	assert.Equal(t, 2, slotCount(a, "k"))
	// a's total is max(5, 1): its increment after the re-add is hidden.
	assert.Equal(t, map[string]int64{"k": 6}, pnValues(a))
	assert.Equal(t, map[string]int64{"k": 6}, pnValues(b))
}

// The same limit for MV registers: the write made after the re-add reuses
// the writer's first ITC event in a fresh register, which B's old value
// has already seen, so it is dominated by B's concurrent write instead of
// standing beside it as a sibling.
func TestMapMVReAddConcurrentWrite(t *testing.T) {
	ia := registers.SeedIdentity()
	ib := ia.Fork()
	set := func(id *registers.Identity, v string) func(*registers.MV[string]) error {
		return func(r *registers.MV[string]) error { return r.Set(id, v) }
	}
	a, b := newMVMap("a"), newMVMap("b")
	require.NoError(t, a.Update("k", set(ia, "x")))
	mustMerge(t, b, a)
	a.Remove("k")
	require.NoError(t, a.Update("k", set(ia, "y")))
	require.NoError(t, b.Update("k", set(ib, "z")))
	mustMerge(t, a, b)
	v, ok := a.Get("k")
	require.True(t, ok)
	assert.Equal(t, []string{"z"}, v.Value(), "y is lost, not kept as a sibling of z")

	// Without the remove, the two writes are siblings, as MV promises.
	a, b = newMVMap("a"), newMVMap("b")
	require.NoError(t, a.Update("k", set(ia, "x")))
	mustMerge(t, b, a)
	require.NoError(t, a.Update("k", set(ia, "y")))
	require.NoError(t, b.Update("k", set(ib, "z")))
	mustMerge(t, a, b)
	v, _ = a.Get("k")
	assert.ElementsMatch(t, []string{"y", "z"}, v.Value())
}

// TestMapUpdateAllocsIndependentOfSize: an update (with its delta) allocates
// the same in a 1,000-key map as in a 50,000-key map, a check of the O(1)
// cost that does not depend on timing.
func TestMapUpdateAllocsIndependentOfSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 50,000-key map")
	}
	allocs := func(n int) float64 {
		m := newPNMap("a")
		for i := range n {
			require.NoError(t, m.Update(fmt.Sprintf("key%07d", i), inc(1)))
		}
		m.TakeDelta()
		i := 0
		return testing.AllocsPerRun(200, func() {
			_ = m.Update(fmt.Sprintf("key%07d", i%n), inc(1))
			m.TakeDelta()
			i++
		})
	}
	small, large := allocs(1000), allocs(50_000)
	assert.Equal(t, small, large, "allocations per update: %v at 1k keys, %v at 50k keys", small, large)
}

// TestMapZeroValue: the zero Map has no value constructor; reads work on it
// as on an empty map, and changes report ErrNoValueType instead of
// panicking.
func TestMapZeroValue(t *testing.T) {
	var z pnMap
	assert.Equal(t, 0, z.Len())
	assert.Empty(t, z.Keys())
	assert.Empty(t, z.Value())
	assert.False(t, z.Remove("x"))
	assert.NotPanics(t, func() {
		_ = z.Payload()
		_ = z.Clone()
		_ = z.Context()
	})
	require.ErrorIs(t, z.Merge(newPNMap("a")), ErrNoValueType)
	m := newPNMap("a")
	require.NoError(t, m.Merge(&z), "merging the zero Map changes nothing")
	_, ok := z.TakeDelta()
	assert.False(t, ok)
}

// slotCount returns the number of concurrent slots of key in m.
func slotCount(m *pnMap, key string) int {
	slots, _ := m.store.Get(key)
	return slots.Len()
}
