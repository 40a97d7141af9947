package crdt_test

import (
	"errors"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
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
