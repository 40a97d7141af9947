package registers

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/internal/nopanic"
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

// TestMisuseZeroValues is issue 11, item 5: a zero LWW panicked on Set and
// Merge. Every method of every exported type of the package is called on a
// zero value: it either works as the empty state or returns an error that
// says why (crdt.ErrNoReplica, ErrNoIdentity), never panics.
func TestMisuseZeroValues(t *testing.T) {
	written := NewLWW[string]("a")
	require.NoError(t, written.Set("x"))
	lww := map[string]func(r *LWW[string]){
		"Set":            func(r *LWW[string]) { require.ErrorIs(t, r.Set("v"), crdt.ErrNoReplica) },
		"Get":            func(r *LWW[string]) { _, ok := r.Get(); require.False(t, ok) },
		"Value":          func(r *LWW[string]) { require.Equal(t, "", r.Value()) },
		"Timestamp":      func(r *LWW[string]) { require.True(t, r.Timestamp().IsZero()) },
		"Replica":        func(r *LWW[string]) { require.Equal(t, crdt.ReplicaID(""), r.Replica()) },
		"Clock":          func(r *LWW[string]) { require.NotNil(t, r.Clock()) },
		"Merge":          func(r *LWW[string]) { require.NoError(t, r.Merge(written)); require.Equal(t, "x", r.Value()) },
		"MergeState":     func(r *LWW[string]) { require.NoError(t, r.MergeState(written)); require.Equal(t, "x", r.Value()) },
		"Clone":          func(r *LWW[string]) { require.Equal(t, "", r.Clone().Value()) },
		"CloneState":     func(r *LWW[string]) { require.NotNil(t, r.CloneState()) },
		"TakeDelta":      func(r *LWW[string]) { _, ok := r.TakeDelta(); require.False(t, ok) },
		"TakeDeltaState": func(r *LWW[string]) { _, ok := r.TakeDeltaState(); require.False(t, ok) },
		"TypeName":       func(r *LWW[string]) { require.Equal(t, "registers.LWW[string]", r.TypeName()) },
		"Payload": func(r *LWW[string]) {
			require.Equal(t, `{"state":{},"type":"registers.LWW[string]","version":1}`, mustPayload(t, r))
		},
		"LoadPayload": func(r *LWW[string]) {
			require.NoError(t, r.LoadPayload([]byte(`{"ts":{"l":0,"r":"a","w":5},"value":"y"}`)))
			require.Equal(t, "y", r.Value())
		},
		"merged into": func(r *LWW[string]) {
			w := written.Clone()
			require.NoError(t, w.Merge(r))
			require.Equal(t, "x", w.Value())
		},
	}
	for name, call := range lww {
		nopanic.Check(t, "LWW."+name, func() { call(&LWW[string]{}) })
	}

	id := SeedIdentity()
	writtenMV := NewMV[string]("a")
	require.NoError(t, writtenMV.Set(id, "x"))
	mv := map[string]func(r *MV[string]){
		"Set":         func(r *MV[string]) { require.NoError(t, r.Set(SeedIdentity(), "v")) },
		"Set nil id":  func(r *MV[string]) { require.ErrorIs(t, r.Set(nil, "v"), ErrNoIdentity) },
		"Set zero id": func(r *MV[string]) { require.ErrorIs(t, r.Set(&Identity{}, "v"), ErrNoIdentity) },
		"Resolve":     func(r *MV[string]) { require.NoError(t, r.Resolve(id, func(vs []string) string { return vs[0] })) },
		"Value":       func(r *MV[string]) { require.Empty(t, r.Value()) },
		"Len":         func(r *MV[string]) { require.Zero(t, r.Len()) },
		"Replica":     func(r *MV[string]) { require.Equal(t, crdt.ReplicaID(""), r.Replica()) },
		"Clock":       func(r *MV[string]) { _ = r.Clock() },
		"Merge": func(r *MV[string]) {
			require.NoError(t, r.Merge(writtenMV))
			require.Equal(t, []string{"x"}, r.Value())
		},
		"MergeState":     func(r *MV[string]) { require.NoError(t, r.MergeState(writtenMV)) },
		"Clone":          func(r *MV[string]) { require.Empty(t, r.Clone().Value()) },
		"CloneState":     func(r *MV[string]) { require.NotNil(t, r.CloneState()) },
		"TakeDelta":      func(r *MV[string]) { _, ok := r.TakeDelta(); require.False(t, ok) },
		"TakeDeltaState": func(r *MV[string]) { _, ok := r.TakeDeltaState(); require.False(t, ok) },
		"TypeName":       func(r *MV[string]) { require.Equal(t, "registers.MV[string]", r.TypeName()) },
		"Payload": func(r *MV[string]) {
			require.Equal(t, `{"state":{"clock":0,"values":[]},"type":"registers.MV[string]","version":1}`, mustPayload(t, r))
		},
		"LoadPayload": func(r *MV[string]) { require.NoError(t, r.LoadPayload([]byte(`{"clock":0,"values":[]}`))) },
		"merged into": func(r *MV[string]) {
			w := writtenMV.Clone()
			require.NoError(t, w.Merge(r))
			require.Equal(t, []string{"x"}, w.Value())
		},
	}
	for name, call := range mv {
		nopanic.Check(t, "MV."+name, func() { call(&MV[string]{}) })
	}

	ident := map[string]func(i *Identity){
		"ID":     func(i *Identity) { require.True(t, i.ID().IsNull()) },
		"IsNull": func(i *Identity) { require.True(t, i.IsNull()) },
		"Fork":   func(i *Identity) { require.True(t, i.Fork().IsNull()) },
		"Retire": func(i *Identity) { require.NoError(t, i.Retire(SeedIdentity())) },
		"String": func(i *Identity) { require.NotEmpty(t, i.String()) },
		"JSON": func(i *Identity) {
			b, err := i.MarshalJSON()
			require.NoError(t, err)
			require.NoError(t, i.UnmarshalJSON(b))
		},
		"Binary": func(i *Identity) {
			b, err := i.MarshalBinary()
			require.NoError(t, err)
			require.NoError(t, i.UnmarshalBinary(b))
		},
		"Adjacency": func(i *Identity) { _ = i.Adjacency(SeedIdentity()) },
	}
	for name, call := range ident {
		nopanic.Check(t, "Identity."+name, func() { call(&Identity{}) })
	}
}

// price is a value type that gets a wire name of its own.
type price struct {
	Cents int `json:"cents"`
}

// TestMisuseWireNames is issue 11, item 7, for registers: an unknown
// register type names the call that registers it, RegisterName gives the
// value type a stable name, and payloads under the Go name keep loading.
func TestMisuseWireNames(t *testing.T) {
	old := `{"state":{"ts":{"l":0,"r":"a","w":5},"value":{"cents":250}},"type":"registers.LWW[registers.price]","version":1}`
	_, err := payload.Unmarshal([]byte(old), "me")
	require.ErrorIs(t, err, payload.ErrUnknownType)
	require.Contains(t, err.Error(), `register it with registers.RegisterLWW[registers.price]()`)
	require.NoError(t, RegisterName[price]("shop.Price"))
	r, err := payload.UnmarshalAs[*LWW[price]]([]byte(old), "me")
	require.NoError(t, err)
	require.Equal(t, price{250}, r.Value())
	require.Equal(t, `{"state":{"ts":{"l":0,"r":"a","w":5},"value":{"cents":250}},"type":"registers.LWW[shop.Price]","version":1}`, mustPayload(t, r))
	require.Equal(t, "registers.MV[shop.Price]", NewMV[price]("me").TypeName())
	_, ok := payload.Default.Lookup("registers.MV[registers.price]")
	require.True(t, ok)
}
