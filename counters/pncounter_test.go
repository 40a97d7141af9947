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

func TestPNCounterIncDecMerge(t *testing.T) {
	a := counters.NewPNCounter("a")
	b := counters.NewPNCounter("b")
	require.NoError(t, a.Inc(10))
	require.NoError(t, a.Dec(3))
	require.NoError(t, b.Dec(20))
	require.NoError(t, a.Merge(b))
	require.NoError(t, b.Merge(a))
	assert.Equal(t, int64(-13), a.Value())
	assert.Equal(t, int64(-13), b.Value())
	assert.Equal(t, mustMarshal(t, a), mustMarshal(t, b))
	assert.Equal(t, `{"state":{"n":{"counts":[{"n":3,"r":"a"},{"n":20,"r":"b"}]},"p":{"counts":[{"n":10,"r":"a"}]}},"type":"counters.PNCounter","version":1}`,
		string(mustMarshal(t, a)))
	assert.Equal(t, uint64(10), a.Incs().Value())
	assert.Equal(t, uint64(23), a.Decs().Value())
}

func TestPNCounterValueSaturates(t *testing.T) {
	up := func(r crdt.ReplicaID, inc, dec uint64) *counters.PNCounter {
		c := counters.NewPNCounter(r)
		require.NoError(t, c.Inc(inc))
		require.NoError(t, c.Dec(dec))
		return c
	}
	join := func(cs ...*counters.PNCounter) *counters.PNCounter {
		out := counters.NewPNCounter("z")
		for _, c := range cs {
			require.NoError(t, out.Merge(c))
		}
		return out
	}
	cases := []struct {
		name string
		c    *counters.PNCounter
		want int64
		big  string
	}{
		{"max int64", up("a", math.MaxInt64, 0), math.MaxInt64, "9223372036854775807"},
		{"max int64 + 1", up("a", math.MaxInt64+1, 0), math.MaxInt64, "9223372036854775808"},
		{"min int64", up("a", 0, 1<<63), math.MinInt64, "-9223372036854775808"},
		{"min int64 - 1", up("a", 0, 1<<63+1), math.MinInt64, "-9223372036854775809"},
		{"uint64 max up", up("a", math.MaxUint64, 0), math.MaxInt64, "18446744073709551615"},
		{"large but cancelling", join(up("a", math.MaxUint64, 0), up("b", math.MaxUint64, 0), up("c", 0, math.MaxUint64), up("d", 0, math.MaxUint64-7)), 7, "7"},
		{"beyond uint64 both ways", join(up("a", math.MaxUint64, 0), up("b", math.MaxUint64, 0), up("c", 0, 5)), math.MaxInt64, "36893488147419103225"},
		{"beyond uint64 down", join(up("a", 0, math.MaxUint64), up("b", 0, math.MaxUint64), up("c", 1, 0)), math.MinInt64, "-36893488147419103229"},
		{"negative small", up("a", 1, 1<<63), math.MinInt64 + 1, "-9223372036854775807"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.c.Value())
			assert.Equal(t, tc.big, tc.c.Big().String())
		})
	}
}

func TestPNCounterValueMatchesBig(t *testing.T) {
	// Value is Big clamped to the int64 range, for counts around the edges.
	edges := []uint64{0, 1, math.MaxInt64 - 1, math.MaxInt64, 1 << 63, 1<<63 + 1, math.MaxUint64 - 1, math.MaxUint64}
	lo, hi := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	for _, p1 := range edges {
		for _, p2 := range []uint64{0, math.MaxUint64} {
			for _, n1 := range edges {
				c := counters.NewPNCounter("a")
				require.NoError(t, c.Inc(p1))
				require.NoError(t, c.Dec(n1))
				o := counters.NewPNCounter("b")
				require.NoError(t, o.Inc(p2))
				require.NoError(t, c.Merge(o))
				exact := new(big.Int).SetUint64(p1)
				exact.Add(exact, new(big.Int).SetUint64(p2)).Sub(exact, new(big.Int).SetUint64(n1))
				require.Equal(t, 0, exact.Cmp(c.Big()))
				want := exact
				if want.Cmp(lo) < 0 {
					want = lo
				} else if want.Cmp(hi) > 0 {
					want = hi
				}
				require.Equal(t, want.Int64(), c.Value(), "p=%d+%d n=%d", p1, p2, n1)
			}
		}
	}
}

func TestPNCounterOverflow(t *testing.T) {
	c := counters.NewPNCounter("a")
	require.NoError(t, c.Inc(math.MaxUint64))
	require.NoError(t, c.Dec(math.MaxUint64))
	_, _ = c.TakeDelta()
	before := mustMarshal(t, c)
	require.ErrorIs(t, c.Inc(1), counters.ErrOverflow)
	require.ErrorIs(t, c.Dec(1), counters.ErrOverflow)
	assert.Equal(t, before, mustMarshal(t, c))
	_, ok := c.TakeDelta()
	assert.False(t, ok)
	assert.Equal(t, int64(0), c.Value())
}

func TestPNCounterNoReplica(t *testing.T) {
	var zero counters.PNCounter
	require.ErrorIs(t, zero.Inc(1), crdt.ErrNoReplica)
	require.ErrorIs(t, zero.Dec(1), crdt.ErrNoReplica)
	o := counters.NewPNCounter("b")
	require.NoError(t, o.Dec(2))
	require.NoError(t, zero.Merge(o))
	assert.Equal(t, int64(-2), zero.Value())
}

func TestPNCounterDelta(t *testing.T) {
	c := counters.NewPNCounter("a")
	other := counters.NewPNCounter("b")
	require.NoError(t, other.Inc(100))
	require.NoError(t, c.Merge(other))
	stale := c.Clone()
	require.NoError(t, c.Inc(3))
	require.NoError(t, c.Dec(1))
	require.NoError(t, c.Inc(0))
	d, ok := c.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, `{"n":{"counts":[{"n":1,"r":"a"}]},"p":{"counts":[{"n":3,"r":"a"}]}}`, string(mustJSON(t, d.Payload())))
	require.NoError(t, stale.Merge(d))
	assert.Equal(t, mustMarshal(t, c), mustMarshal(t, stale))
	_, ok = c.TakeDelta()
	assert.False(t, ok)
	require.NoError(t, c.Merge(other))
	_, ok = c.TakeDelta()
	assert.False(t, ok, "Merge records no delta")
}

func TestPNCounterLoadRejects(t *testing.T) {
	cases := []struct{ name, state, field string }{
		{"missing n", `{"p":{"counts":[]}}`, "n"},
		{"missing p", `{"n":{"counts":[]}}`, "p"},
		{"null p", `{"n":{"counts":[]},"p":null}`, "p"},
		{"missing counts", `{"n":{},"p":{"counts":[]}}`, "n.counts"},
		{"zero in p", `{"n":{"counts":[]},"p":{"counts":[{"n":0,"r":"a"}]}}`, "p.counts[0].n"},
		{"dup in n", `{"n":{"counts":[{"n":1,"r":"a"},{"n":1,"r":"a"}]},"p":{"counts":[]}}`, "n.counts[1].r"},
		{"negative", `{"n":{"counts":[]},"p":{"counts":[{"n":-4,"r":"a"}]}}`, ""},
		{"unknown", `{"n":{"counts":[]},"p":{"counts":[]},"z":0}`, "z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := counters.NewPNCounter("a")
			require.NoError(t, c.Dec(3))
			before := mustMarshal(t, c)
			err := c.LoadPayload([]byte(tc.state))
			require.ErrorIs(t, err, payload.ErrInvalid)
			if tc.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				assert.Equal(t, tc.field, fe.Field)
			}
			assert.Equal(t, before, mustMarshal(t, c))
		})
	}
}

func TestPNCounterLoadKeepsIdentity(t *testing.T) {
	a := counters.NewPNCounter("a")
	require.NoError(t, a.Dec(2))
	loaded, err := payload.UnmarshalAs[*counters.PNCounter](mustMarshal(t, a), "b")
	require.NoError(t, err)
	assert.Equal(t, crdt.ReplicaID("b"), loaded.Replica())
	require.NoError(t, loaded.Inc(5))
	assert.Equal(t, `{"n":{"counts":[{"n":2,"r":"a"}]},"p":{"counts":[{"n":5,"r":"b"}]}}`, string(mustJSON(t, loaded.Payload())))
}
