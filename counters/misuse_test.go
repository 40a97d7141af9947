package counters_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/nopanic"
)

// TestMisuseZeroValues is issue 11, item 5: every method of both counters
// works on the zero value as the empty counter bound to no replica, and the
// mutators fail with crdt.ErrNoReplica.
func TestMisuseZeroValues(t *testing.T) {
	full := counters.NewGCounter("a")
	require.NoError(t, full.Inc(3))
	g := map[string]func(c *counters.GCounter){
		"Inc":            func(c *counters.GCounter) { require.ErrorIs(t, c.Inc(1), crdt.ErrNoReplica) },
		"Count":          func(c *counters.GCounter) { require.Zero(t, c.Count("a")) },
		"Value":          func(c *counters.GCounter) { require.Zero(t, c.Value()) },
		"Big":            func(c *counters.GCounter) { require.Zero(t, c.Big().Sign()) },
		"Replica":        func(c *counters.GCounter) { require.Equal(t, crdt.ReplicaID(""), c.Replica()) },
		"Merge":          func(c *counters.GCounter) { require.NoError(t, c.Merge(full)); require.Equal(t, uint64(3), c.Value()) },
		"MergeState":     func(c *counters.GCounter) { require.NoError(t, c.MergeState(full)) },
		"Clone":          func(c *counters.GCounter) { require.Zero(t, c.Clone().Value()) },
		"CloneState":     func(c *counters.GCounter) { require.NotNil(t, c.CloneState()) },
		"TakeDelta":      func(c *counters.GCounter) { _, ok := c.TakeDelta(); require.False(t, ok) },
		"TakeDeltaState": func(c *counters.GCounter) { _, ok := c.TakeDeltaState(); require.False(t, ok) },
		"TypeName":       func(c *counters.GCounter) { require.Equal(t, counters.GCounterTypeName, c.TypeName()) },
		"Payload":        func(c *counters.GCounter) { require.NotNil(t, c.Payload()) },
		"LoadPayload":    func(c *counters.GCounter) { require.NoError(t, c.LoadPayload([]byte(`{"counts":[]}`))) },
		"merged into": func(c *counters.GCounter) {
			f := full.Clone()
			require.NoError(t, f.Merge(c))
			require.Equal(t, uint64(3), f.Value())
		},
	}
	for name, call := range g {
		nopanic.Check(t, "GCounter."+name, func() { call(&counters.GCounter{}) })
	}
	pfull := counters.NewPNCounter("a")
	require.NoError(t, pfull.Dec(3))
	p := map[string]func(c *counters.PNCounter){
		"Inc":     func(c *counters.PNCounter) { require.ErrorIs(t, c.Inc(1), crdt.ErrNoReplica) },
		"Dec":     func(c *counters.PNCounter) { require.ErrorIs(t, c.Dec(1), crdt.ErrNoReplica) },
		"Incs":    func(c *counters.PNCounter) { require.Zero(t, c.Incs().Value()) },
		"Decs":    func(c *counters.PNCounter) { require.Zero(t, c.Decs().Value()) },
		"Value":   func(c *counters.PNCounter) { require.Zero(t, c.Value()) },
		"Big":     func(c *counters.PNCounter) { require.Zero(t, c.Big().Sign()) },
		"Replica": func(c *counters.PNCounter) { require.Equal(t, crdt.ReplicaID(""), c.Replica()) },
		"Merge": func(c *counters.PNCounter) {
			require.NoError(t, c.Merge(pfull))
			require.Equal(t, int64(-3), c.Value())
		},
		"MergeState":     func(c *counters.PNCounter) { require.NoError(t, c.MergeState(pfull)) },
		"Clone":          func(c *counters.PNCounter) { require.Zero(t, c.Clone().Value()) },
		"CloneState":     func(c *counters.PNCounter) { require.NotNil(t, c.CloneState()) },
		"TakeDelta":      func(c *counters.PNCounter) { _, ok := c.TakeDelta(); require.False(t, ok) },
		"TakeDeltaState": func(c *counters.PNCounter) { _, ok := c.TakeDeltaState(); require.False(t, ok) },
		"TypeName":       func(c *counters.PNCounter) { require.Equal(t, counters.PNCounterTypeName, c.TypeName()) },
		"Payload":        func(c *counters.PNCounter) { require.NotNil(t, c.Payload()) },
		"LoadPayload": func(c *counters.PNCounter) {
			require.NoError(t, c.LoadPayload([]byte(`{"n":{"counts":[]},"p":{"counts":[]}}`)))
		},
		"merged into": func(c *counters.PNCounter) {
			f := pfull.Clone()
			require.NoError(t, f.Merge(c))
			require.Equal(t, int64(-3), f.Value())
		},
	}
	for name, call := range p {
		nopanic.Check(t, "PNCounter."+name, func() { call(&counters.PNCounter{}) })
	}
}
