package sets_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// fakeTime is a settable clock source for crdt.NewClock.
type fakeTime struct{ t time.Time }

func (f *fakeTime) now() time.Time { return f.t }

// base is an arbitrary instant with a non-zero sub-second part.
var base = time.Date(2026, 11, 22, 12, 0, 0, 623456789, time.UTC)

func newFakeLWW[T comparable](replica crdt.ReplicaID, at time.Time) (*sets.LWWSet[T], *fakeTime) {
	ft := &fakeTime{t: at}
	return sets.NewLWWSetWithClock[T](crdt.NewClock(replica, ft.now)), ft
}

func TestLWWSetBasics(t *testing.T) {
	s, ft := newFakeLWW[string]("a", base)
	assert.Equal(t, crdt.ReplicaID("a"), s.Replica())
	require.NoError(t, s.Add("x"))
	require.NoError(t, s.Add("y"))
	assert.Equal(t, []string{"x", "y"}, s.Value())
	ft.t = ft.t.Add(time.Nanosecond)
	require.NoError(t, s.Remove("x"))
	assert.False(t, s.Contains("x"))
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, 1, s.Tombstones())
	assert.Equal(t, []string{"y"}, slices.Collect(s.All()))
	// Unlike a 2P-set, an element comes back.
	require.NoError(t, s.Add("x"))
	assert.True(t, s.Contains("x"))
	assert.Equal(t, 0, s.Tombstones())
	add, rem := s.Timestamps("x")
	assert.Equal(t, 1, add.Compare(rem))
	// Remove of an element never added is recorded.
	require.NoError(t, s.Remove("never"))
	assert.Equal(t, 1, s.Tombstones())
	_, rem = s.Timestamps("never")
	assert.False(t, rem.IsZero())

	w, w1 := itoa(base.UnixNano()), itoa(base.UnixNano()+1)
	assert.Equal(t, `{"elements":[`+
		`{"elem":"never","remove":{"l":2,"r":"a","w":`+w1+`}},`+
		`{"add":{"l":1,"r":"a","w":`+w1+`},"elem":"x","remove":{"l":0,"r":"a","w":`+w1+`}},`+
		`{"add":{"l":1,"r":"a","w":`+w+`},"elem":"y"}]}`, valueJSON(t, s.Payload()))
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestLWWSetNoReplica(t *testing.T) {
	var zero sets.LWWSet[string]
	require.ErrorIs(t, zero.Add("x"), crdt.ErrNoReplica)
	require.ErrorIs(t, zero.Remove("x"), crdt.ErrNoReplica)
	require.ErrorIs(t, sets.NewLWWSet[string]("").Add("x"), crdt.ErrNoReplica)
	o, _ := newFakeLWW[string]("b", base)
	require.NoError(t, o.Add("x"))
	require.NoError(t, zero.Merge(o))
	assert.Equal(t, []string{"x"}, zero.Value())
}

// TestLWWSetSubSecondOrderSurvivesReload reproduces the Python toolbox's
// trap: an add and a remove that only sub-second precision orders, written
// to payloads, loaded back and merged, keep their order.
func TestLWWSetSubSecondOrderSurvivesReload(t *testing.T) {
	for _, gap := range []time.Duration{time.Nanosecond, time.Microsecond, 300 * time.Millisecond} {
		for _, removeLast := range []bool{false, true} {
			// Replica a's write and replica b's write on x fall in the same
			// second; which is later depends on the sub-second part only.
			adder, _ := newFakeLWW[string]("a", base)
			remover, _ := newFakeLWW[string]("b", base.Add(-gap))
			if removeLast {
				adder, _ = newFakeLWW[string]("a", base.Add(-gap))
				remover, _ = newFakeLWW[string]("b", base)
			}
			require.NoError(t, remover.Add("x")) // so the remove is not of an unknown element
			require.NoError(t, adder.Add("x"))
			require.NoError(t, remover.Remove("x"))
			_, rem := remover.Timestamps("x")
			add, _ := adder.Timestamps("x")
			require.Equal(t, add.Time().Unix(), rem.Time().Unix(), "same second")

			pa, pb := stateBytes(t, adder), stateBytes(t, remover)
			la, err := payload.UnmarshalAs[*sets.LWWSet[string]](pa, "a")
			require.NoError(t, err)
			lb, err := payload.UnmarshalAs[*sets.LWWSet[string]](pb, "b")
			require.NoError(t, err)
			// Timestamps come back to the nanosecond.
			gotAdd, _ := la.Timestamps("x")
			_, gotRem := lb.Timestamps("x")
			assert.Equal(t, add, gotAdd)
			assert.Equal(t, rem, gotRem)

			for _, pair := range [][2]*sets.LWWSet[string]{{la, lb}, {lb, la}} {
				m, err := crdt.Merge(pair[0], pair[1])
				require.NoError(t, err)
				assert.Equal(t, !removeLast, m.Contains("x"), "gap %v, remove last %v", gap, removeLast)
				// And once more through a payload.
				again, err := payload.UnmarshalAs[*sets.LWWSet[string]](stateBytes(t, m), "c")
				require.NoError(t, err)
				assert.Equal(t, !removeLast, again.Contains("x"))
			}
		}
	}
}

func TestLWWSetPayloadKeepsNanoseconds(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.UTC)
	s, _ := newFakeLWW[int]("r", at)
	require.NoError(t, s.Add(1))
	data := stateBytes(t, s)
	assert.Contains(t, string(data), `"w":`+itoa(at.UnixNano())+`}`)
	back, err := payload.UnmarshalAs[*sets.LWWSet[int]](data, "r")
	require.NoError(t, err)
	add, _ := back.Timestamps(1)
	assert.True(t, add.Time().Equal(at), "%v != %v", add.Time(), at)
}

// TestLWWSetWriteAfterMergeWins: a replica whose wall clock lags behind
// still orders its writes after everything it has merged or loaded.
func TestLWWSetWriteAfterMergeWins(t *testing.T) {
	ahead, _ := newFakeLWW[string]("ahead", base.Add(time.Hour))
	require.NoError(t, ahead.Add("x"))
	behind, _ := newFakeLWW[string]("behind", base)
	require.NoError(t, behind.Merge(ahead))
	require.NoError(t, behind.Remove("x"))
	assert.False(t, behind.Contains("x"), "the remove must beat the add it has seen")
	require.NoError(t, ahead.Merge(behind))
	assert.False(t, ahead.Contains("x"))

	// The same after loading a payload instead of merging.
	loader, _ := newFakeLWW[string]("loader", base)
	require.NoError(t, payload.UnmarshalInto(stateBytes(t, ahead), loader))
	require.NoError(t, loader.Add("x"))
	assert.True(t, loader.Contains("x"), "the add must beat the remove it has loaded")
	assert.Equal(t, crdt.ReplicaID("loader"), loader.Replica())
}

// TestLWWSetEqualTimestampsRemoveWins: equal add and remove timestamps,
// which only a forged payload or a shared replica id can produce, count as
// removed, whichever way the states are merged.
func TestLWWSetEqualTimestampsRemoveWins(t *testing.T) {
	const ts = `{"l":0,"r":"a","w":5}`
	forged := sets.NewLWWSet[string]("f")
	require.NoError(t, forged.LoadPayload([]byte(`{"elements":[{"add":`+ts+`,"elem":"x","remove":`+ts+`}]}`)))
	assert.False(t, forged.Contains("x"))
	assert.Equal(t, []string{}, forged.Value())

	adds := sets.NewLWWSet[string]("g")
	require.NoError(t, adds.LoadPayload([]byte(`{"elements":[{"add":`+ts+`,"elem":"x"}]}`)))
	removes := sets.NewLWWSet[string]("h")
	require.NoError(t, removes.LoadPayload([]byte(`{"elements":[{"elem":"x","remove":`+ts+`}]}`)))
	assert.True(t, adds.Contains("x"))
	ar, err := crdt.Merge(adds, removes)
	require.NoError(t, err)
	ra, err := crdt.Merge(removes, adds)
	require.NoError(t, err)
	assert.False(t, ar.Contains("x"))
	assert.False(t, ra.Contains("x"))
	assert.Equal(t, string(stateBytes(t, ar)), string(stateBytes(t, ra)))
	assert.Equal(t, string(stateBytes(t, forged)), string(stateBytes(t, ar)))

	// Equal wall time and counter, different replicas: the replica id
	// breaks the tie ("b" > "a"), the same way on both sides.
	other := sets.NewLWWSet[string]("i")
	require.NoError(t, other.LoadPayload([]byte(`{"elements":[{"add":{"l":0,"r":"b","w":5},"elem":"x"}]}`)))
	m1, _ := crdt.Merge(other, removes)
	m2, _ := crdt.Merge(removes, other)
	assert.True(t, m1.Contains("x"))
	assert.True(t, m2.Contains("x"))
}

func TestLWWSetDeltaAndClone(t *testing.T) {
	s, ft := newFakeLWW[string]("a", base)
	require.NoError(t, s.Add("x"))
	_, _ = s.TakeDelta()
	stale := s.Clone()
	ft.t = ft.t.Add(time.Millisecond)
	require.NoError(t, s.Remove("x"))
	require.NoError(t, s.Add("y"))
	require.NoError(t, s.Add("y"))
	d, ok := s.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, []string{"y"}, d.Value())
	assert.Equal(t, 2, strings.Count(valueJSON(t, d.Payload()), `"elem"`), "the delta holds only x and y")
	_, ok = s.TakeDelta()
	assert.False(t, ok)
	require.NoError(t, stale.Merge(d))
	assert.Equal(t, string(stateBytes(t, s)), string(stateBytes(t, stale)))
	// Merge records no delta.
	o, _ := newFakeLWW[string]("b", base)
	require.NoError(t, o.Add("z"))
	require.NoError(t, s.Merge(o))
	_, ok = s.TakeDelta()
	assert.False(t, ok)

	// A clone shares the clock: writes on both never get equal timestamps,
	// even with the wall clock standing still.
	c := s.Clone()
	require.NoError(t, c.Add("w"))
	require.NoError(t, s.Remove("w"))
	addW, _ := c.Timestamps("w")
	_, remW := s.Timestamps("w")
	assert.Equal(t, -1, addW.Compare(remW))
	assert.False(t, s.Contains("w"))
	assert.True(t, c.Contains("w"), "clone and original hold separate state")
}

func TestLWWSetStructElements(t *testing.T) {
	s, ft := newFakeLWW[userElem]("a", base)
	require.NoError(t, s.Add(userElem{"zoe", 30}))
	require.NoError(t, s.Add(userElem{"al", 41}))
	ft.t = ft.t.Add(time.Second)
	require.NoError(t, s.Remove(userElem{"zoe", 30}))
	data := stateBytes(t, s)
	assert.True(t, strings.HasPrefix(string(data), `{"state":{"elements":[{"add":{"l":1,"r":"a","w":`), string(data))
	assert.Contains(t, string(data), `"elem":{"name":"al","age":41}`)
	back, err := payload.UnmarshalAs[*sets.LWWSet[userElem]](data, "b")
	require.NoError(t, err)
	assert.Equal(t, []userElem{{"al", 41}}, back.Value())
	assert.Equal(t, string(data), string(stateBytes(t, back)))
}

func TestLWWSetLoadRejects(t *testing.T) {
	newState := func() crdt.State {
		s, _ := newFakeLWW[string]("a", base)
		_ = s.Add("keep")
		return s
	}
	const ts = `{"l":0,"r":"a","w":5}`
	checkLoadRejects(t, newState, []loadRejectCase{
		{"missing elements", `{}`, "elements"},
		{"null elements", `{"elements":null}`, "elements"},
		{"missing elem", `{"elements":[{"add":` + ts + `}]}`, "elements[0].elem"},
		{"null elem", `{"elements":[{"add":` + ts + `,"elem":null}]}`, "elements[0].elem"},
		{"no timestamps", `{"elements":[{"elem":"x"}]}`, "elements[0]"},
		{"null timestamps", `{"elements":[{"add":null,"elem":"x","remove":null}]}`, "elements[0]"},
		{"duplicate", `{"elements":[{"add":` + ts + `,"elem":"x"},{"elem":"x","remove":` + ts + `}]}`, "elements[1].elem"},
		{"empty add replica", `{"elements":[{"add":{"l":0,"r":"","w":5},"elem":"x"}]}`, "elements[0].add.r"},
		{"zero remove", `{"elements":[{"elem":"x","remove":{}}]}`, "elements[0].remove.r"},
		{"fractional wall", `{"elements":[{"add":{"l":0,"r":"a","w":1.5},"elem":"x"}]}`, ""},
		{"seconds as float", `{"elements":[{"add":{"l":0,"r":"a","w":"1700000000.5"},"elem":"x"}]}`, ""},
		{"negative logical", `{"elements":[{"add":{"l":-1,"r":"a","w":5},"elem":"x"}]}`, ""},
		{"timestamp as list", `{"elements":[{"add":[5,0,"a"],"elem":"x"}]}`, ""},
		{"unknown timestamp field", `{"elements":[{"add":{"l":0,"r":"a","w":5,"z":0},"elem":"x"}]}`, "elements[0].add.z"},
		{"unknown entry field", `{"elements":[{"add":` + ts + `,"elem":"x","rem":` + ts + `}]}`, "elements[0].rem"},
	})
}

func TestLWWSetLoadObservesClock(t *testing.T) {
	future := base.Add(24 * time.Hour).UnixNano()
	s, _ := newFakeLWW[string]("me", base)
	require.NoError(t, s.LoadPayload([]byte(`{"elements":[{"add":{"l":7,"r":"other","w":`+itoa(future)+`},"elem":"x"}]}`)))
	require.NoError(t, s.Remove("x"))
	_, rem := s.Timestamps("x")
	assert.Equal(t, future, rem.Wall)
	assert.Equal(t, uint32(8), rem.Logical)
	assert.False(t, s.Contains("x"))

	// A failed load shows nothing to the clock.
	s2, _ := newFakeLWW[string]("me", base)
	require.Error(t, s2.LoadPayload([]byte(`{"elements":[{"add":{"l":7,"r":"other","w":`+itoa(future)+`},"elem":"x"},{"elem":"x","remove":{"l":0,"r":"","w":1}}]}`)))
	require.NoError(t, s2.Add("y"))
	add, _ := s2.Timestamps("y")
	assert.Equal(t, base.UnixNano(), add.Wall)
}

// lwwOp is one timestamped write in the oracle's log.
type lwwOp struct {
	x      int
	remove bool
	ts     crdt.Timestamp
}

// TestLWWSetMatchesOracle compares with a log of all timestamped operations:
// a replica knows a set of operations, merging is union, and x is in the set
// iff the latest known operation on x (by timestamp, a remove winning a
// tie) is an add. Wall clocks are fake and jump back and forth.
func TestLWWSetMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const n = 3
		reps := make([]*sets.LWWSet[int], n)
		clocks := make([]*fakeTime, n)
		for i := range reps {
			reps[i], clocks[i] = newFakeLWW[int](crdt.ReplicaID(rune('a'+i)), base)
		}
		w := newOpNet[*sets.LWWSet[int], lwwOp](reps)
		known := w.known
		var lastWrite []crdt.Timestamp
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			r := rapid.IntRange(0, n-1).Draw(t, "r")
			clocks[r].t = clocks[r].t.Add(time.Duration(rapid.IntRange(-3, 3).Draw(t, "tick")))
			x := rapid.IntRange(0, 4).Draw(t, "x")
			switch k := rapid.IntRange(0, 4).Draw(t, "op"); k {
			case 0, 1:
				var err error
				if k == 0 {
					err = reps[r].Add(x)
				} else {
					err = reps[r].Remove(x)
				}
				if err != nil {
					t.Fatal(err)
				}
				add, rem := reps[r].Timestamps(x)
				o := lwwOp{x: x, remove: k == 1, ts: add}
				if o.remove {
					o.ts = rem
				}
				// Every write orders after everything its replica knew.
				for kn := range known[r] {
					if o.ts.Compare(kn.ts) <= 0 {
						t.Fatalf("write %v does not order after known %v", o.ts, kn.ts)
					}
				}
				lastWrite = append(lastWrite, o.ts)
				w.did(r, o)
			default:
				w.exchange(t, r, k-2)
			}
			for i := range reps {
				latest := map[int]lwwOp{}
				for o := range known[i] {
					l, ok := latest[o.x]
					if !ok || o.ts.Compare(l.ts) > 0 || (o.ts == l.ts && o.remove) {
						latest[o.x] = o
					}
				}
				want := []int{}
				for x, o := range latest {
					if !o.remove {
						want = append(want, x)
					}
				}
				slices.Sort(want)
				if got := reps[i].Value(); !slices.Equal(got, want) {
					t.Fatalf("replica %d: %v, oracle %v", i, got, want)
				}
			}
		}
		// No two writes ever got the same timestamp.
		seen := map[crdt.Timestamp]bool{}
		for _, ts := range lastWrite {
			if seen[ts] {
				t.Fatalf("timestamp %v issued twice", ts)
			}
			seen[ts] = true
		}
	})
}

func TestLWWSetLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.LWWSet[string], []string]{
		New: func(r crdt.ReplicaID) *sets.LWWSet[string] {
			// A fake wall clock that stands still, so that ties in wall
			// time are common and the logical counter and replica ids
			// must order the writes.
			return sets.NewLWWSetWithClock[string](crdt.NewClock(r, func() time.Time { return base }))
		},
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.LWWSet[string]) {
			x := rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "x")
			var err error
			if rapid.Bool().Draw(t, "remove") {
				err = s.Remove(x)
			} else {
				err = s.Add(x)
			}
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestLWWSetLawsRealClock(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.LWWSet[int64], []int64]{
		New: func(r crdt.ReplicaID) *sets.LWWSet[int64] { return sets.NewLWWSet[int64](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.LWWSet[int64]) {
			x := rapid.Int64Range(-2, 2).Draw(t, "x")
			var err error
			if rapid.Bool().Draw(t, "remove") {
				err = s.Remove(x)
			} else {
				err = s.Add(x)
			}
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestLWWSetLawsStructElements(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.LWWSet[userElem], []userElem]{
		New: func(r crdt.ReplicaID) *sets.LWWSet[userElem] {
			return sets.NewLWWSetWithClock[userElem](crdt.NewClock(r, func() time.Time { return base }))
		},
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.LWWSet[userElem]) {
			x := userElem{
				Name: rapid.SampledFrom([]string{"al", "bo"}).Draw(t, "name"),
				Age:  rapid.IntRange(9, 11).Draw(t, "age"),
			}
			op := s.Add
			if rapid.Bool().Draw(t, "remove") {
				op = s.Remove
			}
			if err := op(x); err != nil {
				t.Fatal(err)
			}
		},
	})
}
