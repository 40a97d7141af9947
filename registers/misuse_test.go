package registers

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// TestMisuseLWWNullTimestampMember is issue 11, item 6: {"w": null} or
// {"l": null} in an LWW register's timestamp read as 0, dating the write to
// 1970 so that it silently lost to every other. Null or missing members of
// the timestamp, and a null timestamp or state, are errors naming the field.
func TestMisuseLWWNullTimestampMember(t *testing.T) {
	cases := map[string]struct{ data, field string }{
		"null wall":       {`{"ts":{"l":1,"r":"a","w":null},"value":"x"}`, "state.ts.w"},
		"null logical":    {`{"ts":{"l":null,"r":"a","w":5},"value":"x"}`, "state.ts.l"},
		"null replica":    {`{"ts":{"l":1,"r":null,"w":5},"value":"x"}`, "state.ts.r"},
		"missing wall":    {`{"ts":{"l":1,"r":"a"},"value":"x"}`, "state.ts.w"},
		"missing logical": {`{"ts":{"r":"a","w":5},"value":"x"}`, "state.ts.l"},
		"null ts alone":   {`{"ts":null}`, "state.ts"},
		"null ts, value":  {`{"ts":null,"value":"x"}`, "state.ts"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data := `{"state":` + c.data + `,"type":"registers.LWW[string]","version":1}`
			r := NewLWW[string]("me")
			require.NoError(t, r.Set("keep"))
			before := mustPayload(t, r)
			err := payload.UnmarshalInto([]byte(data), r)
			require.ErrorIs(t, err, payload.ErrInvalid)
			var fe *payload.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, c.field, fe.Field, "%v", err)
			require.Equal(t, before, mustPayload(t, r), "receiver unchanged on error")
		})
	}
	if err := NewLWW[string]("me").LoadPayload([]byte(`null`)); !errors.Is(err, payload.ErrInvalid) {
		t.Fatalf("a null state loads: %v", err)
	}
	// The timestamp's own errors are still there to test for.
	err := NewLWW[string]("me").LoadPayload([]byte(`{"ts":{"l":1,"r":"a","w":null},"value":"x"}`))
	require.ErrorIs(t, err, crdt.ErrInvalidTimestamp)
}
