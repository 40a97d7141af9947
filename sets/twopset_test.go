package sets_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

func TestTwoPSetBasics(t *testing.T) {
	s := sets.NewTwoPSet[string]("a")
	require.NoError(t, s.Add("x"))
	require.NoError(t, s.Add("y"))
	require.NoError(t, s.Add("x"))
	assert.Equal(t, []string{"x", "y"}, s.Value())
	s.Remove("x")
	assert.False(t, s.Contains("x"))
	assert.True(t, s.Removed("x"))
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, 1, s.Tombstones())
	assert.Equal(t, []string{"y"}, slices.Collect(s.All()))
	assert.Equal(t, `{"state":{"elements":["y"],"removed":["x"]},"type":"sets.TwoPSet[string]","version":1}`, string(stateBytes(t, s)))
}

// TestTwoPSetRemovedNeverReturns is the 2P-set's defining trap: once removed
// anywhere, an element is gone everywhere for good.
func TestTwoPSetRemovedNeverReturns(t *testing.T) {
	a := sets.NewTwoPSet[string]("a")
	b := sets.NewTwoPSet[string]("b")
	require.NoError(t, a.Add("x"))
	require.NoError(t, b.Merge(a))
	a.Remove("x")
	_, _ = a.TakeDelta()

	// Locally: Add fails loudly and changes nothing.
	before := stateBytes(t, a)
	err := a.Add("x")
	require.ErrorIs(t, err, sets.ErrRemoved)
	assert.Contains(t, err.Error(), "x")
	assert.Equal(t, string(before), string(stateBytes(t, a)))
	_, ok := a.TakeDelta()
	assert.False(t, ok, "a failed Add records no delta")

	// Remotely: b has not heard of the remove and adds x again (a no-op
	// there, x is present); once the states meet x is gone on both sides.
	require.NoError(t, b.Add("x"))
	assert.True(t, b.Contains("x"))
	ab, err := crdt.Merge(a, b)
	require.NoError(t, err)
	ba, err := crdt.Merge(b, a)
	require.NoError(t, err)
	assert.False(t, ab.Contains("x"))
	assert.False(t, ba.Contains("x"))
	assert.Equal(t, string(stateBytes(t, ab)), string(stateBytes(t, ba)))
	require.ErrorIs(t, ba.Add("x"), sets.ErrRemoved)

	// A third replica that adds x after merging the remove cannot either,
	// and one that never heard of x loses it on merge.
	c := sets.NewTwoPSet[string]("c")
	require.NoError(t, c.Add("x"))
	require.NoError(t, c.Merge(ab))
	assert.Equal(t, []string{}, c.Value())
	// Through a payload round trip the tombstone survives.
	back, err := payload.UnmarshalAs[*sets.TwoPSet[string]](stateBytes(t, c), "c")
	require.NoError(t, err)
	require.ErrorIs(t, back.Add("x"), sets.ErrRemoved)
}

// TestTwoPSetRemoveBeforeAdd: removing an element never seen is allowed and
// blocks it in advance, here and on every replica that merges the state.
func TestTwoPSetRemoveBeforeAdd(t *testing.T) {
	a := sets.NewTwoPSet[int]("a")
	a.Remove(7)
	d, ok := a.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, `{"elements":[],"removed":[7]}`, valueJSON(t, d.Payload()))
	assert.Equal(t, 0, a.Len())
	require.ErrorIs(t, a.Add(7), sets.ErrRemoved)

	b := sets.NewTwoPSet[int]("b")
	require.NoError(t, b.Add(7))
	require.NoError(t, b.Add(8))
	require.NoError(t, b.Merge(d))
	assert.Equal(t, []int{8}, b.Value())
	// Removing twice is no mutation.
	a.Remove(7)
	_, ok = a.TakeDelta()
	assert.False(t, ok)
}

func TestTwoPSetDelta(t *testing.T) {
	a := sets.NewTwoPSet[string]("a")
	require.NoError(t, a.Add("p"))
	stale := a.Clone()
	require.NoError(t, a.Add("q"))
	a.Remove("p")
	a.Remove("r")
	require.NoError(t, a.Add("s"))
	d, ok := a.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, `{"elements":["q","s"],"removed":["p","r"]}`, valueJSON(t, d.Payload()))
	require.NoError(t, stale.Merge(d))
	assert.Equal(t, string(stateBytes(t, a)), string(stateBytes(t, stale)))
	// Add then Remove in one delta: the delta holds the tombstone only.
	require.NoError(t, a.Add("t"))
	a.Remove("t")
	d, _ = a.TakeDelta()
	assert.Equal(t, `{"elements":[],"removed":["t"]}`, valueJSON(t, d.Payload()))
}

func TestTwoPSetStructElements(t *testing.T) {
	s := sets.NewTwoPSet[userElem]("a")
	require.NoError(t, s.Add(userElem{"bo", 2}))
	require.NoError(t, s.Add(userElem{"al", 1}))
	s.Remove(userElem{"cy", 3})
	data := stateBytes(t, s)
	assert.Equal(t, `{"state":{"elements":[{"name":"al","age":1},{"name":"bo","age":2}],"removed":[{"name":"cy","age":3}]},"type":"sets.TwoPSet[sets_test.userElem]","version":1}`, string(data))
	back, err := payload.UnmarshalAs[*sets.TwoPSet[userElem]](data, "b")
	require.NoError(t, err)
	assert.Equal(t, s.Value(), back.Value())
	require.ErrorIs(t, back.Add(userElem{"cy", 3}), sets.ErrRemoved)
}

func TestTwoPSetLoadRejects(t *testing.T) {
	newState := func() crdt.State {
		s := sets.NewTwoPSet[string]("a")
		_ = s.Add("keep")
		s.Remove("gone")
		return s
	}
	checkLoadRejects(t, newState, []loadRejectCase{
		{"missing removed", `{"elements":[]}`, "removed"},
		{"missing elements", `{"removed":[]}`, "elements"},
		{"null removed", `{"elements":[],"removed":null}`, "removed"},
		{"null element", `{"elements":[null],"removed":[]}`, "elements[0]"},
		{"null tombstone", `{"elements":[],"removed":["a",null]}`, "removed[1]"},
		{"duplicate live", `{"elements":["a","a"],"removed":[]}`, "elements[1]"},
		{"duplicate tombstone", `{"elements":[],"removed":["a","a"]}`, "removed[1]"},
		{"live and removed", `{"elements":["a","b"],"removed":["b"]}`, "elements[1]"},
		{"unknown field", `{"elements":[],"removed":[],"added":[]}`, "added"},
		{"wrong type", `{"elements":[],"removed":[true]}`, ""},
	})
}

// TestTwoPSetMatchesOracle compares with a log of operations: a replica
// knows a set of adds and removes, merging is union, and x is in the set
// iff some known op adds x and no known op removes x.
func TestTwoPSetMatchesOracle(t *testing.T) {
	type op struct {
		x      int
		remove bool
	}
	rapid.Check(t, func(t *rapid.T) {
		const n = 3
		reps := make([]*sets.TwoPSet[int], n)
		for i := range reps {
			reps[i] = sets.NewTwoPSet[int](crdt.ReplicaID(rune('a' + i)))
		}
		w := newOpNet[*sets.TwoPSet[int], op](reps)
		known := w.known
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			r := rapid.IntRange(0, n-1).Draw(t, "r")
			x := rapid.IntRange(0, 6).Draw(t, "x")
			switch k := rapid.IntRange(0, 4).Draw(t, "op"); k {
			case 0:
				err := reps[r].Add(x)
				if known[r][op{x, true}] {
					if err == nil {
						t.Fatalf("Add(%d) after a known remove succeeded", x)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !known[r][op{x, false}] { // re-adding a known element is no mutation
					w.did(r, op{x, false})
				}
			case 1:
				reps[r].Remove(x)
				if !known[r][op{x, true}] {
					w.did(r, op{x, true})
				}
			default:
				w.exchange(t, r, k-2)
			}
			for i := range reps {
				want := []int{}
				for o := range known[i] {
					if !o.remove && !known[i][op{o.x, true}] {
						want = append(want, o.x)
					}
				}
				slices.Sort(want)
				if got := reps[i].Value(); !slices.Equal(got, want) {
					t.Fatalf("replica %d: %v, oracle %v", i, got, want)
				}
			}
		}
	})
}

func TestTwoPSetLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.TwoPSet[string], []string]{
		New: func(r crdt.ReplicaID) *sets.TwoPSet[string] { return sets.NewTwoPSet[string](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.TwoPSet[string]) {
			x := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f"}).Draw(t, "x")
			if rapid.IntRange(0, 2).Draw(t, "op") == 0 {
				s.Remove(x)
				return
			}
			if err := s.Add(x); err != nil && !s.Removed(x) {
				t.Fatalf("Add(%q): %v", x, err)
			}
		},
	})
}

func TestTwoPSetLawsStructElements(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.TwoPSet[userElem], []userElem]{
		New: func(r crdt.ReplicaID) *sets.TwoPSet[userElem] { return sets.NewTwoPSet[userElem](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.TwoPSet[userElem]) {
			x := userElem{
				Name: rapid.SampledFrom([]string{"al", "bo"}).Draw(t, "name"),
				Age:  rapid.IntRange(9, 11).Draw(t, "age"),
			}
			if rapid.IntRange(0, 2).Draw(t, "op") == 0 {
				s.Remove(x)
			} else if err := s.Add(x); err != nil && !s.Removed(x) {
				t.Fatalf("Add(%v): %v", x, err)
			}
		},
	})
}
