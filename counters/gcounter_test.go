package counters_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func TestGCounterIncAndMerge(t *testing.T) {
	a := counters.NewGCounter("a")
	b := counters.NewGCounter("b")
	require.NoError(t, a.Inc(2))
	require.NoError(t, a.Inc(3))
	require.NoError(t, b.Inc(7))
	require.NoError(t, a.Merge(b))
	assert.Equal(t, uint64(12), a.Value())
	assert.Equal(t, uint64(5), a.Count("a"))
	assert.Equal(t, uint64(7), a.Count("b"))
	// Merging again, or merging an older copy of b, counts nothing twice.
	old := b.Clone()
	require.NoError(t, b.Inc(1))
	require.NoError(t, a.Merge(b))
	require.NoError(t, a.Merge(old))
	require.NoError(t, a.Merge(b))
	assert.Equal(t, uint64(13), a.Value())
	// b is untouched by merges into a.
	assert.Equal(t, uint64(8), b.Value())
}

func TestGCounterIncZeroIsNoop(t *testing.T) {
	c := counters.NewGCounter("a")
	require.NoError(t, c.Inc(0))
	_, ok := c.TakeDelta()
	assert.False(t, ok, "Inc(0) must not record a delta")
	assert.Equal(t, `{"counts":[]}`, string(mustJSON(t, c.Payload())))
}

func TestGCounterIncOverflow(t *testing.T) {
	c := counters.NewGCounter("a")
	require.NoError(t, c.Inc(math.MaxUint64-1))
	_, _ = c.TakeDelta()
	before := mustMarshal(t, c)
	err := c.Inc(2)
	require.ErrorIs(t, err, counters.ErrOverflow)
	assert.Equal(t, before, mustMarshal(t, c), "a failed Inc changes nothing")
	_, ok := c.TakeDelta()
	assert.False(t, ok, "a failed Inc records no delta")
	require.NoError(t, c.Inc(1))
	assert.Equal(t, uint64(math.MaxUint64), c.Value())
	require.ErrorIs(t, c.Inc(1), counters.ErrOverflow)
}

func TestGCounterValueSaturates(t *testing.T) {
	a := counters.NewGCounter("a")
	b := counters.NewGCounter("b")
	c := counters.NewGCounter("c")
	require.NoError(t, a.Inc(math.MaxUint64))
	require.NoError(t, b.Inc(math.MaxUint64))
	require.NoError(t, c.Inc(5))
	require.NoError(t, a.Merge(b))
	require.NoError(t, a.Merge(c))
	assert.Equal(t, uint64(math.MaxUint64), a.Value())
	want := new(big.Int).SetUint64(math.MaxUint64)
	want.Mul(want, big.NewInt(2)).Add(want, big.NewInt(5))
	assert.Equal(t, 0, want.Cmp(a.Big()), "Big = %s, want %s", a.Big(), want)
	// Exactly 2^64-1 in total is not saturation.
	x := counters.NewGCounter("x")
	y := counters.NewGCounter("y")
	require.NoError(t, x.Inc(math.MaxUint64-10))
	require.NoError(t, y.Inc(10))
	require.NoError(t, x.Merge(y))
	assert.Equal(t, uint64(math.MaxUint64), x.Value())
	assert.Equal(t, "18446744073709551615", x.Big().String())
}

func TestGCounterNoReplica(t *testing.T) {
	var zero counters.GCounter
	require.ErrorIs(t, zero.Inc(1), crdt.ErrNoReplica)
	require.ErrorIs(t, counters.NewGCounter("").Inc(1), crdt.ErrNoReplica)
	// The zero value can still merge and be read.
	other := counters.NewGCounter("b")
	require.NoError(t, other.Inc(4))
	require.NoError(t, zero.Merge(other))
	assert.Equal(t, uint64(4), zero.Value())
	require.NoError(t, zero.Merge(nil))
	assert.Equal(t, uint64(4), zero.Value())
}

func TestGCounterDelta(t *testing.T) {
	c := counters.NewGCounter("a")
	stale := c.Clone()
	require.NoError(t, c.Inc(3))
	require.NoError(t, c.Inc(4))
	d, ok := c.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, `{"counts":[{"n":7,"r":"a"}]}`, string(mustJSON(t, d.Payload())))
	_, ok = c.TakeDelta()
	assert.False(t, ok, "TakeDelta clears the delta")
	require.NoError(t, stale.Merge(d))
	assert.Equal(t, mustMarshal(t, c), mustMarshal(t, stale))
	_, ok = c.Clone().TakeDelta()
	assert.False(t, ok)
	// Merge records no delta.
	other := counters.NewGCounter("b")
	require.NoError(t, other.Inc(1))
	require.NoError(t, c.Merge(other))
	_, ok = c.TakeDelta()
	assert.False(t, ok, "Merge must not record a delta")
}

func TestGCounterPayloadCanonical(t *testing.T) {
	c := counters.NewGCounter("m")
	for _, r := range []crdt.ReplicaID{"z", "b", "a"} {
		o := counters.NewGCounter(r)
		require.NoError(t, o.Inc(uint64(len(r))+1))
		require.NoError(t, c.Merge(o))
	}
	got, err := payload.Marshal(c)
	require.NoError(t, err)
	assert.Equal(t, `{"state":{"counts":[{"n":2,"r":"a"},{"n":2,"r":"b"},{"n":2,"r":"z"}]},"type":"counters.GCounter","version":1}`, string(got))
}

func TestGCounterLoadKeepsIdentity(t *testing.T) {
	// The original toolbox gave a loaded counter a fresh id, so its next
	// increments counted as a phantom replica. Here the id comes from the
	// caller.
	a := counters.NewGCounter("a")
	require.NoError(t, a.Inc(5))
	data := mustMarshal(t, a)
	loaded, err := payload.UnmarshalAs[*counters.GCounter](data, "a")
	require.NoError(t, err)
	assert.Equal(t, crdt.ReplicaID("a"), loaded.Replica())
	require.NoError(t, loaded.Inc(1))
	require.NoError(t, a.Merge(loaded))
	assert.Equal(t, uint64(6), a.Value())
	assert.Equal(t, `{"state":{"counts":[{"n":6,"r":"a"}]},"type":"counters.GCounter","version":1}`, string(mustMarshal(t, a)))

	// Loading into an existing counter keeps its replica too.
	b := counters.NewGCounter("b")
	require.NoError(t, payload.UnmarshalInto(data, b))
	require.NoError(t, b.Inc(1))
	assert.Equal(t, uint64(1), b.Count("b"))
	assert.Equal(t, uint64(5), b.Count("a"))
}

func TestGCounterLoadRejects(t *testing.T) {
	cases := []struct {
		name, state, field string
	}{
		{"missing counts", `{}`, "counts"},
		{"null counts", `{"counts":null}`, "counts"},
		{"empty replica", `{"counts":[{"n":1,"r":""}]}`, "counts[0].r"},
		{"missing replica", `{"counts":[{"n":1}]}`, "counts[0].r"},
		{"zero count", `{"counts":[{"n":1,"r":"a"},{"n":0,"r":"b"}]}`, "counts[1].n"},
		{"duplicate", `{"counts":[{"n":1,"r":"a"},{"n":2,"r":"a"}]}`, "counts[1].r"},
		{"negative", `{"counts":[{"n":-1,"r":"a"}]}`, ""},
		{"fraction", `{"counts":[{"n":1.5,"r":"a"}]}`, ""},
		{"exponent", `{"counts":[{"n":1e2,"r":"a"}]}`, ""},
		{"integral float", `{"counts":[{"n":2.0,"r":"a"}]}`, ""},
		{"too big", `{"counts":[{"n":18446744073709551616,"r":"a"}]}`, ""},
		{"string count", `{"counts":[{"n":"1","r":"a"}]}`, ""},
		{"unknown field", `{"counts":[],"x":1}`, "x"},
		{"unknown entry field", `{"counts":[{"n":1,"r":"a","t":1}]}`, "counts[0].t"},
		{"trailing", `{"counts":[]} {}`, ""},
		{"not an object", `[]`, ""},
		{"empty", ``, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := counters.NewGCounter("a")
			require.NoError(t, c.Inc(3))
			before := mustMarshal(t, c)
			err := c.LoadPayload([]byte(tc.state))
			require.Error(t, err)
			require.ErrorIs(t, err, payload.ErrInvalid)
			if tc.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				assert.Equal(t, tc.field, fe.Field)
			}
			assert.Equal(t, before, mustMarshal(t, c), "a failed load changes nothing")
			// Through the envelope the field is placed under "state".
			env := `{"state":` + tc.state + `,"type":"counters.GCounter","version":1}`
			_, err = payload.Unmarshal([]byte(env), "a")
			require.ErrorIs(t, err, payload.ErrInvalid)
			if tc.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				assert.Equal(t, "state."+tc.field, fe.Field)
			}
		})
	}
}

func TestGCounterLoadAcceptsAnyOrder(t *testing.T) {
	c := counters.NewGCounter("x")
	require.NoError(t, c.LoadPayload([]byte(` {"counts":[{"r":"b","n":2},{"n":18446744073709551615,"r":"a"}]} `)))
	assert.Equal(t, `{"counts":[{"n":18446744073709551615,"r":"a"},{"n":2,"r":"b"}]}`, string(mustJSON(t, c.Payload())))
}
