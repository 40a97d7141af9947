package sets_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// TestMisuseLWWSetNullTimestampMember is issue 11, item 6: {"w": null} or
// {"l": null} in an LWWSet element's timestamp read as 0, so an add a
// JavaScript writer dated NaN lost to every remove, silently. The timestamp
// decoder (crdt.Timestamp.UnmarshalJSON) now rejects null and missing
// members, naming them.
func TestMisuseLWWSetNullTimestampMember(t *testing.T) {
	cases := map[string]struct{ data, field string }{
		"null add wall":       {`{"elements":[{"add":{"l":0,"r":"a","w":null},"elem":"x"}]}`, "state.elements[0].add.w"},
		"null add logical":    {`{"elements":[{"add":{"l":null,"r":"a","w":5},"elem":"x"}]}`, "state.elements[0].add.l"},
		"null remove wall":    {`{"elements":[{"elem":"x","remove":{"l":0,"r":"a","w":null}}]}`, "state.elements[0].remove.w"},
		"missing remove wall": {`{"elements":[{"elem":"x","remove":{"l":0,"r":"a"}}]}`, "state.elements[0].remove.w"},
		"missing add logical": {`{"elements":[{"add":{"r":"a","w":5},"elem":"x"}]}`, "state.elements[0].add.l"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data := `{"state":` + c.data + `,"type":"sets.LWWSet[string]","version":1}`
			s := sets.NewLWWSet[string]("me")
			require.NoError(t, s.Add("keep"))
			err := payload.UnmarshalInto([]byte(data), s)
			require.ErrorIs(t, err, payload.ErrInvalid)
			require.ErrorIs(t, err, crdt.ErrInvalidTimestamp)
			var fe *payload.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, c.field, fe.Field, "%v", err)
			require.Equal(t, []string{"keep"}, s.Value(), "receiver unchanged on error")
		})
	}
}
