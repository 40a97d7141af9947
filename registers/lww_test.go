package registers

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// fakeTime is a wall clock that tests move by hand.
type fakeTime struct{ ns int64 }

func (f *fakeTime) now() time.Time { return time.Unix(0, f.ns) }

func fakeClock(replica crdt.ReplicaID, ft *fakeTime) *crdt.Clock {
	return crdt.NewClock(replica, ft.now)
}

func mustPayload(t interface {
	Helper()
	Fatalf(string, ...any)
}, s crdt.State) string {
	t.Helper()
	b, err := payload.Marshal(s)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestLWWEmpty(t *testing.T) {
	r := NewLWW[string]("a")
	v, ok := r.Get()
	require.False(t, ok)
	require.Equal(t, "", v)
	require.Equal(t, "", r.Value())
	require.True(t, r.Timestamp().IsZero())
	_, ok = r.TakeDelta()
	require.False(t, ok)
	require.Equal(t, `{"state":{},"type":"registers.LWW[string]","version":1}`, mustPayload(t, r))
}

func TestLWWSetAndPayload(t *testing.T) {
	ft := &fakeTime{ns: 1_700_000_000_000_000_000}
	r := NewLWWWithClock[string](fakeClock("a", ft))
	require.NoError(t, r.Set("x"))
	require.NoError(t, r.Set("y")) // same wall time: logical counter 1
	v, ok := r.Get()
	require.True(t, ok)
	require.Equal(t, "y", v)
	require.Equal(t, crdt.Timestamp{Wall: ft.ns, Logical: 1, Replica: "a"}, r.Timestamp())
	require.Equal(t,
		`{"state":{"ts":{"l":1,"r":"a","w":1700000000000000000},"value":"y"},"type":"registers.LWW[string]","version":1}`,
		mustPayload(t, r))
}

func TestLWWSetErrors(t *testing.T) {
	r := NewLWW[string]("")
	err := r.Set("x")
	require.ErrorIs(t, err, crdt.ErrNoReplica)
	_, ok := r.Get()
	require.False(t, ok)

	f := NewLWW[float64]("a")
	require.NoError(t, f.Set(1.5))
	err = f.Set(math.NaN())
	require.ErrorIs(t, err, ErrValue)
	require.Equal(t, 1.5, f.Value(), "a failed Set leaves the register unchanged")
	require.ErrorIs(t, f.Set(math.Inf(1)), ErrValue)

	c := NewLWW[chan int]("a")
	require.ErrorIs(t, c.Set(make(chan int)), ErrValue)
}

// A replica whose wall clock is behind still orders its write after the
// write it has seen.
func TestLWWClockBehindOrdersAfterObserved(t *testing.T) {
	fast, slow := &fakeTime{ns: 5000}, &fakeTime{ns: 1000}
	a := NewLWWWithClock[string](fakeClock("a", fast))
	b := NewLWWWithClock[string](fakeClock("b", slow))
	require.NoError(t, a.Set("from a"))
	require.NoError(t, b.Merge(a))
	require.NoError(t, b.Set("from b, later"))
	require.Equal(t, "from b, later", b.Value())
	require.NoError(t, a.Merge(b))
	require.Equal(t, "from b, later", a.Value())
	require.Equal(t, crdt.Timestamp{Wall: 5000, Logical: 1, Replica: "b"}, b.Timestamp())
}

// Concurrent writes: the smaller timestamp loses at every replica, silently.
func TestLWWConcurrentWriteIsLost(t *testing.T) {
	ft := &fakeTime{ns: 100}
	a := NewLWWWithClock[string](fakeClock("a", ft))
	b := NewLWWWithClock[string](fakeClock("b", ft))
	require.NoError(t, a.Set("a's"))
	require.NoError(t, b.Set("b's")) // same wall, same logical: replica id decides
	ab, err := crdt.Merge(a, b)
	require.NoError(t, err)
	ba, err := crdt.Merge(b, a)
	require.NoError(t, err)
	require.Equal(t, "b's", ab.Value())
	require.Equal(t, "b's", ba.Value())
}

func forgedLWW(t *testing.T, replica crdt.ReplicaID, data string) *LWW[string] {
	t.Helper()
	r := NewLWW[string](replica)
	require.NoError(t, r.LoadPayload([]byte(data)))
	return r
}

// Timestamps are unique unless forged; a forged payload with the receiver's
// timestamp and another value must still merge commutatively.
func TestLWWEqualTimestampTieBreak(t *testing.T) {
	x := `{"ts":{"l":0,"r":"a","w":7},"value":"apple"}`
	y := `{"ts":{"l":0,"r":"a","w":7},"value":"banana"}`
	for _, order := range [][2]string{{x, y}, {y, x}} {
		r := forgedLWW(t, "me", order[0])
		require.NoError(t, r.Merge(forgedLWW(t, "other", order[1])))
		require.Equal(t, "banana", r.Value(), "the larger canonical JSON wins")
	}
	// The same with structured values, compared on canonical JSON.
	type pt struct {
		X int `json:"x"`
		Y int `json:"y"`
	}
	RegisterLWW[pt]()
	p1 := NewLWW[pt]("me")
	require.NoError(t, p1.LoadPayload([]byte(`{"ts":{"l":0,"r":"a","w":7},"value":{"y":1,"x":2}}`)))
	p2 := NewLWW[pt]("me")
	require.NoError(t, p2.LoadPayload([]byte(`{"ts":{"l":0,"r":"a","w":7},"value":{"x":1,"y":9}}`)))
	m1, _ := crdt.Merge(p1, p2)
	m2, _ := crdt.Merge(p2, p1)
	require.Equal(t, mustPayload(t, m1), mustPayload(t, m2))
	require.Equal(t, pt{2, 1}, m1.Value())
}

func TestLWWMergeObservesTimestamp(t *testing.T) {
	ft := &fakeTime{ns: 10}
	r := NewLWWWithClock[int64](fakeClock("a", ft))
	o := NewLWW[int64]("z")
	require.NoError(t, o.LoadPayload([]byte(`{"ts":{"l":3,"r":"z","w":1000},"value":5}`)))
	require.NoError(t, r.Merge(o))
	require.Equal(t, int64(5), r.Value())
	require.NoError(t, r.Set(6))
	require.Equal(t, crdt.Timestamp{Wall: 1000, Logical: 4, Replica: "a"}, r.Timestamp())
	// LoadPayload observes too.
	l := NewLWWWithClock[int64](fakeClock("b", ft))
	require.NoError(t, l.LoadPayload([]byte(`{"ts":{"l":0,"r":"z","w":2000},"value":5}`)))
	require.NoError(t, l.Set(7))
	require.Equal(t, int64(2000), l.Timestamp().Wall)
}

func TestLWWNoAliasing(t *testing.T) {
	r := NewLWW[[]int]("a")
	in := []int{1, 2, 3}
	require.NoError(t, r.Set(in))
	in[0] = 99
	out := r.Value()
	require.Equal(t, []int{1, 2, 3}, out)
	out[1] = 99
	require.Equal(t, []int{1, 2, 3}, r.Value())

	c := r.Clone()
	o := NewLWW[[]int]("b")
	require.NoError(t, o.Merge(r))
	require.NoError(t, r.Set([]int{4}))
	require.Equal(t, []int{1, 2, 3}, c.Value())
	require.Equal(t, []int{1, 2, 3}, o.Value())
	d, ok := r.TakeDelta()
	require.True(t, ok)
	require.NoError(t, o.Merge(d))
	require.Equal(t, []int{4}, o.Value())
}

func TestLWWDelta(t *testing.T) {
	ft := &fakeTime{ns: 1}
	r := NewLWWWithClock[string](fakeClock("a", ft))
	stale := r.Clone()
	require.NoError(t, r.Set("1"))
	ft.ns++
	require.NoError(t, r.Set("2"))
	d, ok := r.TakeDelta()
	require.True(t, ok)
	_, ok = r.TakeDelta()
	require.False(t, ok, "TakeDelta clears the pending delta")
	require.NoError(t, stale.Merge(d))
	require.Equal(t, mustPayload(t, r), mustPayload(t, stale))
	_, ok = r.Clone().TakeDelta()
	require.False(t, ok)
	require.NoError(t, r.Set("3"))
	_, ok = r.Clone().TakeDelta()
	require.False(t, ok, "a clone has no pending delta")
}

func TestLWWPayloadRoundTrip(t *testing.T) {
	ft := &fakeTime{ns: -5} // before 1970 is still a time
	r := NewLWWWithClock[string](fakeClock("a", ft))
	require.NoError(t, r.Set("<tag> & \u2028 \xff"))
	data, err := payload.Marshal(r)
	require.NoError(t, err)
	s, err := payload.Unmarshal(data, "b")
	require.NoError(t, err)
	back := s.(*LWW[string])
	require.Equal(t, crdt.ReplicaID("b"), back.Replica(), "identity comes from the caller")
	require.Equal(t, "<tag> & \u2028 \ufffd", back.Value())
	require.Equal(t, r.Value(), back.Value())
	require.Equal(t, r.Timestamp(), back.Timestamp())
	again, err := payload.Marshal(back)
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))

	// Pointer types may hold null.
	RegisterLWW[*string]()
	RegisterLWW[*string]() // idempotent
	p := NewLWW[*string]("a")
	require.NoError(t, p.Set(nil))
	data, err = payload.Marshal(p)
	require.NoError(t, err)
	require.Contains(t, string(data), `"value":null`)
	ps, err := payload.UnmarshalAs[*LWW[*string]](data, "b")
	require.NoError(t, err)
	v, ok := ps.Get()
	require.True(t, ok)
	require.Nil(t, v)
}

func TestLWWLoadPayloadInvalid(t *testing.T) {
	cases := map[string]struct{ data, field string }{
		"ts without value":  {`{"ts":{"l":0,"r":"a","w":1}}`, "value"},
		"value without ts":  {`{"value":"x"}`, "ts"},
		"null ts":           {`{"ts":null,"value":"x"}`, "ts"},
		"empty replica":     {`{"ts":{"l":0,"r":"","w":1},"value":"x"}`, "ts.r"},
		"missing replica":   {`{"ts":{"l":0,"w":1},"value":"x"}`, "ts.r"},
		"wrong value type":  {`{"ts":{"l":0,"r":"a","w":1},"value":5}`, "value"},
		"null value":        {`{"ts":{"l":0,"r":"a","w":1},"value":null}`, "value"},
		"unknown field":     {`{"ts":{"l":0,"r":"a","w":1},"value":"x","v":1}`, "v"},
		"unknown ts field":  {`{"ts":{"l":0,"r":"a","w":1,"x":1},"value":"x"}`, ""},
		"float wall":        {`{"ts":{"l":0,"r":"a","w":1.5},"value":"x"}`, ""},
		"negative logical":  {`{"ts":{"l":-1,"r":"a","w":1},"value":"x"}`, ""},
		"logical too large": {`{"ts":{"l":4294967296,"r":"a","w":1},"value":"x"}`, ""},
		"trailing data":     {`{} {}`, ""},
		"array":             {`[]`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := NewLWW[string]("me")
			require.NoError(t, r.Set("keep"))
			before := mustPayload(t, r)
			err := r.LoadPayload([]byte(c.data))
			require.ErrorIs(t, err, payload.ErrInvalid)
			if c.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				require.Equal(t, c.field, fe.Field)
			}
			require.Equal(t, before, mustPayload(t, r), "receiver unchanged on error")
		})
	}
}

func TestLWWLoadPayloadCanonicalises(t *testing.T) {
	r := NewLWW[map[string]int]("me")
	require.NoError(t, r.LoadPayload([]byte(` { "value" : { "b" : 1 , "a" : 2 } , "ts" : {"l":0,"r":"x","w":3} } `)))
	RegisterLWW[map[string]int]()
	require.Equal(t,
		`{"state":{"ts":{"l":0,"r":"x","w":3},"value":{"a":2,"b":1}},"type":"registers.LWW[map[string]int]","version":1}`,
		mustPayload(t, r))
}

func TestLWWTypeNames(t *testing.T) {
	for _, name := range []string{"registers.LWW[string]", "registers.LWW[int64]", "registers.LWW[float64]", "registers.LWW[bool]"} {
		_, ok := payload.Default.Lookup(name)
		require.True(t, ok, name)
	}
	require.Equal(t, "registers.LWW[[]int]", NewLWW[[]int]("a").TypeName())
	err := NewLWW[string]("a").MergeState(NewLWW[int64]("a"))
	require.ErrorIs(t, err, crdt.ErrTypeMismatch)
}

// lwwWrite is one write in the oracle: its value and the writes it had seen.
type lwwWrite struct {
	value string
	saw   map[int]bool
}

// TestLWWProperties runs random writes and merges on replicas whose wall
// clocks jump around, and checks against an oracle that knows which write
// each replica has seen and which writes each write had seen:
//   - a replica's value is one of the writes it has seen and no write it has
//     seen was made after seeing that one (causality is respected by the HLC);
//   - merging the final states in any order gives identical payloads.
func TestLWWProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 4).Draw(t, "replicas")
		times := make([]*fakeTime, n)
		regs := make([]*LWW[string], n)
		seen := make([]map[int]bool, n) // writes each replica has seen
		var writes []lwwWrite
		for i := range n {
			times[i] = &fakeTime{ns: rapid.Int64Range(0, 50).Draw(t, "t0")}
			regs[i] = NewLWWWithClock[string](fakeClock(crdt.ReplicaID(fmt.Sprint("r", i)), times[i]))
			seen[i] = map[int]bool{}
		}
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for range steps {
			i := rapid.IntRange(0, n-1).Draw(t, "i")
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0: // clock moves, maybe backwards
				times[i].ns += rapid.Int64Range(-20, 20).Draw(t, "dt")
			case 1:
				w := len(writes)
				v := fmt.Sprint("w", w)
				if err := regs[i].Set(v); err != nil {
					t.Fatal(err)
				}
				writes = append(writes, lwwWrite{value: v, saw: clone(seen[i])})
				seen[i][w] = true
			case 2:
				j := rapid.IntRange(0, n-1).Draw(t, "j")
				if err := regs[i].Merge(regs[j]); err != nil {
					t.Fatal(err)
				}
				for w := range seen[j] {
					seen[i][w] = true
				}
			case 3: // payload round trip keeps the state
				data, err := payload.Marshal(regs[i])
				if err != nil {
					t.Fatal(err)
				}
				if err := payload.UnmarshalInto(data, regs[i]); err != nil {
					t.Fatal(err)
				}
				if again, _ := payload.Marshal(regs[i]); !bytes.Equal(data, again) {
					t.Fatalf("round trip changed %s into %s", data, again)
				}
			}
			v, ok := regs[i].Get()
			if ok != (len(seen[i]) > 0) {
				t.Fatalf("replica %d: set=%v after seeing %d writes", i, ok, len(seen[i]))
			}
			if !ok {
				continue
			}
			cur := -1
			for w := range seen[i] {
				if writes[w].value == v {
					cur = w
				}
			}
			if cur < 0 {
				t.Fatalf("replica %d holds %q, a write it has not seen", i, v)
			}
			for w := range seen[i] {
				if writes[w].saw[cur] {
					t.Fatalf("replica %d holds %q although it saw %q, written after seeing it", i, v, writes[w].value)
				}
			}
		}
		// Convergence in every merge order.
		var first string
		perm := rapid.Permutation(regs).Draw(t, "order")
		for k := range 2 {
			order := perm
			if k == 1 {
				order = slices.Clone(regs)
			}
			acc := NewLWW[string]("acc")
			for _, r := range order {
				if err := acc.Merge(r); err != nil {
					t.Fatal(err)
				}
			}
			p := mustPayload(t, acc)
			if k == 0 {
				first = p
			} else if p != first {
				t.Fatalf("merge order matters: %s vs %s", first, p)
			}
		}
	})
}

func clone(m map[int]bool) map[int]bool {
	c := make(map[int]bool, len(m))
	for k := range m {
		c[k] = true
	}
	return c
}
