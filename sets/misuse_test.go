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

// SKU is an element type that gets a wire name of its own.
type SKU struct {
	Code string `json:"code"`
}

// TestMisuseWireNames is issue 11, item 7: wire names came from Go's
// reflection (sets.ORSet[sets_test.SKU]), so renaming a package broke stored
// data. RegisterName gives the element a stable name; payloads written under
// the Go name keep loading and are written back under the new one.
func TestMisuseWireNames(t *testing.T) {
	old := `{"state":{"context":{"cloud":[],"vv":[{"n":1,"r":"a"}]},"elements":[{"dots":[{"n":1,"r":"a"}],"e":{"code":"x1"}}]},"type":"sets.ORSet[sets_test.SKU]","version":1}`
	_, err := payload.Unmarshal([]byte(old), "me")
	require.ErrorIs(t, err, payload.ErrUnknownType)
	require.Contains(t, err.Error(), `payload: unknown type "sets.ORSet[sets_test.SKU]": register it with sets.Register[sets_test.SKU]()`)

	sets.Register[SKU]() // as an older build did: under the Go name
	require.NoError(t, sets.RegisterName[SKU]("shop.SKU"))
	s, err := payload.UnmarshalAs[*sets.ORSet[SKU]]([]byte(old), "me")
	require.NoError(t, err, "a payload under the Go name still loads")
	require.Equal(t, []SKU{{"x1"}}, s.Value())
	require.Equal(t, "sets.ORSet[shop.SKU]", s.TypeName())
	b, err := payload.Marshal(s)
	require.NoError(t, err)
	require.Contains(t, string(b), `"type":"sets.ORSet[shop.SKU]"`)
	back, err := payload.UnmarshalAs[*sets.ORSet[SKU]](b, "me")
	require.NoError(t, err)
	require.Equal(t, s.Value(), back.Value())
	require.NoError(t, payload.UnmarshalInto([]byte(old), back), "UnmarshalInto takes the old name too")
	for _, name := range []string{"sets.GSet[shop.SKU]", "sets.TwoPSet[shop.SKU]", "sets.LWWSet[shop.SKU]", "sets.GSet[sets_test.SKU]"} {
		_, ok := payload.Default.Lookup(name)
		require.True(t, ok, name)
	}
	require.ErrorIs(t, sets.RegisterName[SKU]("shop.Other"), payload.ErrNameTaken)
}

// TestMisuseSameGoNameCollides is issue 11, item 7: two element types whose
// Go names are alike (here two types named item, in two functions; in
// practice two packages of the same name) no longer share one registration
// silently: the second registration panics with a message that says to use
// RegisterName, and with a wire name each they coexist.
func TestMisuseSameGoNameCollides(t *testing.T) {
	first := func() string {
		type item struct{ N int }
		sets.RegisterORSet[item]()
		return sets.NewORSet[item]("a").TypeName()
	}()
	require.Equal(t, "sets.ORSet[sets_test.item]", first)
	type item struct{ S string }
	func() {
		defer func() {
			p := recover()
			require.NotNil(t, p, "a second Go type under one name must not be ignored")
			require.Contains(t, p, "sets.RegisterName")
		}()
		sets.RegisterORSet[item]()
	}()
	require.NoError(t, sets.RegisterName[item]("other.Item"))
	s := sets.NewORSet[item]("a")
	require.NoError(t, s.Add(item{"x"}))
	b, err := payload.Marshal(s)
	require.NoError(t, err)
	back, err := payload.UnmarshalAs[*sets.ORSet[item]](b, "b")
	require.NoError(t, err)
	require.Equal(t, []item{{"x"}}, back.Value())
}
