package crdt_test

import (
	"errors"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/nopanic"
)

// TestMisuseTimestampNullOrMissingMember is issue 11, item 6: a JavaScript
// writer turns NaN into null, and a null (or missing) wall time or logical
// counter read as 0 dates the write to 1970, where it silently loses to every
// other. Every member is required.
func TestMisuseTimestampNullOrMissingMember(t *testing.T) {
	cases := map[string]struct{ data, member string }{
		"null wall":        {`{"l":1,"r":"a","w":null}`, "w"},
		"null logical":     {`{"l":null,"r":"a","w":5}`, "l"},
		"null replica":     {`{"l":1,"r":null,"w":5}`, "r"},
		"missing wall":     {`{"l":1,"r":"a"}`, "w"},
		"missing logical":  {`{"r":"a","w":5}`, "l"},
		"missing replica":  {`{"l":1,"w":5}`, "r"},
		"empty replica":    {`{"l":1,"r":"","w":5}`, "r"},
		"string wall":      {`{"l":1,"r":"a","w":"5"}`, "w"},
		"fractional wall":  {`{"l":1,"r":"a","w":1.5}`, "w"},
		"negative logical": {`{"l":-1,"r":"a","w":5}`, "l"},
		"unknown member":   {`{"l":1,"r":"a","w":5,"x":0}`, "x"},
		"array":            {`[1,"a",5]`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ts := crdt.Timestamp{Wall: 9, Logical: 9, Replica: "keep"}
			err := json.Unmarshal([]byte(c.data), &ts)
			require.ErrorIs(t, err, crdt.ErrInvalidTimestamp)
			var fp interface{ FieldPath() string }
			require.True(t, errors.As(err, &fp), "%v", err)
			assert.Equal(t, c.member, fp.FieldPath())
			assert.Equal(t, crdt.Timestamp{Wall: 9, Logical: 9, Replica: "keep"}, ts, "unchanged on error")
		})
	}
	var ts crdt.Timestamp
	require.NoError(t, json.Unmarshal([]byte(`{"l":0,"r":"a","w":-3}`), &ts))
	assert.Equal(t, crdt.Timestamp{Wall: -3, Replica: "a"}, ts, "zero and negative values that are written out are fine")
}

// TestMisuseZeroValues is issue 11, item 5, for package crdt: every method
// of every exported type works on the zero value.
func TestMisuseZeroValues(t *testing.T) {
	var c crdt.Clock
	nopanic.Check(t, "Clock.Replica", func() { assert.Equal(t, crdt.ReplicaID(""), c.Replica()) })
	nopanic.Check(t, "Clock.Now", func() {
		a, b := c.Now(), c.Now()
		assert.Equal(t, 1, b.Compare(a), "a zero clock still orders its timestamps")
	})
	nopanic.Check(t, "Clock.Observe", func() { c.Observe(crdt.Timestamp{Wall: 1 << 62, Replica: "x"}) })
	nopanic.Check(t, "Clock.Now after Observe", func() { assert.Greater(t, c.Now().Wall, int64(1<<62-1)) })
	var ts crdt.Timestamp
	nopanic.Check(t, "Timestamp methods", func() {
		assert.True(t, ts.IsZero())
		assert.Equal(t, 0, ts.Compare(crdt.Timestamp{}))
		_ = ts.Time()
		assert.Error(t, ts.UnmarshalJSON([]byte(`{}`)))
	})
	var r crdt.ReplicaID
	nopanic.Check(t, "ReplicaID methods", func() {
		assert.ErrorIs(t, r.Validate(), crdt.ErrNoReplica)
		assert.Equal(t, "", r.String())
	})
}
