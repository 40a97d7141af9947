package compound_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/nopanic"
	"github.com/crdtkit/crdtkit/payload"
)

// TestMisuseZeroStruct is issue 11, item 5: a zero compound.Struct panicked
// on Value and Merge. Every method works on the zero Struct and the zero
// StructType: reads give the empty state, and Merge, MergeState and
// LoadPayload fail with compound.ErrZeroStruct, on either side of a merge.
func TestMisuseZeroStruct(t *testing.T) {
	full := profileType.New("a")
	full.Fields().Score.Set(3)
	calls := map[string]func(s *compound.Struct[profile]){
		"Fields":         func(s *compound.Struct[profile]) { require.NotNil(t, s.Fields()) },
		"Field":          func(s *compound.Struct[profile]) { _, ok := s.Field("score"); require.False(t, ok) },
		"Type":           func(s *compound.Struct[profile]) { _ = s.Type() },
		"Replica":        func(s *compound.Struct[profile]) { _ = s.Replica() },
		"TypeName":       func(s *compound.Struct[profile]) { require.Equal(t, "", s.TypeName()) },
		"Merge":          func(s *compound.Struct[profile]) { require.ErrorIs(t, s.Merge(full), compound.ErrZeroStruct) },
		"MergeState":     func(s *compound.Struct[profile]) { require.ErrorIs(t, s.MergeState(full), compound.ErrZeroStruct) },
		"merged into":    func(s *compound.Struct[profile]) { require.ErrorIs(t, full.Clone().Merge(s), compound.ErrZeroStruct) },
		"Clone":          func(s *compound.Struct[profile]) { require.Empty(t, s.Clone().Value()) },
		"CloneState":     func(s *compound.Struct[profile]) { require.NotNil(t, s.CloneState()) },
		"Value":          func(s *compound.Struct[profile]) { require.Empty(t, s.Value()) },
		"TakeDelta":      func(s *compound.Struct[profile]) { _, ok := s.TakeDelta(); require.False(t, ok) },
		"TakeDeltaState": func(s *compound.Struct[profile]) { _, ok := s.TakeDeltaState(); require.False(t, ok) },
		"Payload":        func(s *compound.Struct[profile]) { require.NotNil(t, s.Payload()) },
		"LoadPayload": func(s *compound.Struct[profile]) {
			require.ErrorIs(t, s.LoadPayload([]byte(`{}`)), compound.ErrZeroStruct)
		},
	}
	for name, call := range calls {
		nopanic.Check(t, "Struct."+name, func() { call(&compound.Struct[profile]{}) })
		nopanic.Check(t, "Struct from a zero StructType: "+name, func() {
			var zt compound.StructType[profile]
			call(zt.New("a"))
		})
	}
	var zt compound.StructType[profile]
	nopanic.Check(t, "StructType methods", func() {
		require.Equal(t, "", zt.Name())
		require.Empty(t, zt.FieldNames())
		pt := zt.PayloadType()
		require.NotNil(t, pt.New(crdt.ReplicaID("a")))
	})
	var nilType *compound.StructType[profile]
	nopanic.Check(t, "nil StructType New", func() { require.NotNil(t, nilType.New("a")) })
}

// profileV1 is profile as an older build defined it, before it gained tags.
type profileV1 struct {
	Score *stMax `crdt:"score"`
}

// TestMisuseStructGainsAField is issue 11, item 8: adding a CRDT field to a
// registered Struct made every stored value unreadable ("field
// state.tags: missing"), although a missing CRDT field is exactly its empty
// state. Payloads of the older shape load, the new field empty; a field the
// type does not have is still an error.
func TestMisuseStructGainsAField(t *testing.T) {
	var old, cur payload.Registry
	v1, err := compound.DefineStruct("compoundtest.Evolving", func(r crdt.ReplicaID) profileV1 {
		return profileV1{Score: newStMax(r)}
	})
	require.NoError(t, err)
	v2, err := compound.DefineStruct("compoundtest.Evolving", func(r crdt.ReplicaID) profile {
		return profile{Score: newStMax(r), Tags: newStSet(r)}
	})
	require.NoError(t, err)
	require.NoError(t, old.Register(v1.PayloadType()))
	require.NoError(t, cur.Register(v2.PayloadType()))

	stored := v1.New("a")
	stored.Fields().Score.Set(7)
	data, err := payload.Codec{Registry: &old}.Marshal(stored)
	require.NoError(t, err)
	require.Equal(t, `{"state":{"score":{"v":7}},"type":"compoundtest.Evolving","version":1}`, string(data))

	s, err := payload.Codec{Registry: &cur}.Unmarshal(data, "a")
	require.NoError(t, err, "a payload from before the field was added must load")
	got := s.(*compound.Struct[profile])
	require.Equal(t, uint64(7), got.Fields().Score.Value())
	require.Empty(t, got.Fields().Tags.Value(), "the new field is its empty state")
	got.Fields().Tags.Add("new")
	back, err := payload.Codec{Registry: &cur}.Marshal(got)
	require.NoError(t, err)
	require.Equal(t, `{"state":{"score":{"v":7},"tags":{"e":["new"]}},"type":"compoundtest.Evolving","version":1}`, string(back))

	// Loading into a state that has tags replaces them with the empty
	// state, as the payload says nothing was ever added.
	full := v2.New("a")
	full.Fields().Tags.Add("x")
	require.NoError(t, full.LoadPayload([]byte(`{"score":{"v":1}}`)))
	require.Empty(t, full.Fields().Tags.Value())

	// The other way round stays an error: the old build cannot keep tags.
	_, err = payload.Codec{Registry: &old}.Unmarshal(back, "a")
	require.ErrorIs(t, err, payload.ErrInvalid)
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "state.tags", fe.Field)
}
