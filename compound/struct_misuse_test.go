package compound_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
)

// noPanic runs f and fails the test, naming the call, if it panics.
func noPanic(t *testing.T, call string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panics on a zero value: %v", call, p)
		}
	}()
	f()
}

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
		noPanic(t, "Struct."+name, func() { call(&compound.Struct[profile]{}) })
		noPanic(t, "Struct from a zero StructType: "+name, func() {
			var zt compound.StructType[profile]
			call(zt.New("a"))
		})
	}
	var zt compound.StructType[profile]
	noPanic(t, "StructType methods", func() {
		require.Equal(t, "", zt.Name())
		require.Empty(t, zt.FieldNames())
		pt := zt.PayloadType()
		require.NotNil(t, pt.New(crdt.ReplicaID("a")))
	})
	var nilType *compound.StructType[profile]
	noPanic(t, "nil StructType New", func() { require.NotNil(t, nilType.New("a")) })
}
