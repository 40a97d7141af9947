package payload_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// otherReg is a second Go type to register under a name already taken.
type otherReg struct{ maxReg }

func maxRegType(name string, aliases ...string) payload.Type {
	return payload.Type{Name: name, Aliases: aliases, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return newMaxReg(r) }}
}

// TestMisuseNameCollision is issue 11, item 7: a second Go type registered
// under a name taken by another is an error, not a silent no-op that makes
// payloads of one decode as the other; the same Go type again is the
// harmless ErrDuplicateType.
func TestMisuseNameCollision(t *testing.T) {
	var r payload.Registry
	require.NoError(t, r.Register(maxRegType("x.Reg")))
	err := r.Register(maxRegType("x.Reg"))
	require.ErrorIs(t, err, payload.ErrDuplicateType)
	require.NotErrorIs(t, err, payload.ErrNameTaken)
	err = r.Register(payload.Type{Name: "x.Reg", Version: 1, New: func(r crdt.ReplicaID) crdt.State { return &otherReg{} }})
	require.ErrorIs(t, err, payload.ErrNameTaken)
	require.NotErrorIs(t, err, payload.ErrDuplicateType, "idempotent registrations ignore ErrDuplicateType; a collision must not be ignored")
	err = r.Register(payload.Type{Name: "y.Reg", Aliases: []string{"x.Reg"}, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return &otherReg{} }})
	require.ErrorIs(t, err, payload.ErrNameTaken, "an alias is a name too")
	_, ok := r.Lookup("y.Reg")
	require.False(t, ok, "a refused registration registers nothing")
	require.ErrorIs(t, r.Register(payload.Type{Name: "z", Version: 1, New: func(crdt.ReplicaID) crdt.State { return nil }}), payload.ErrInvalid)
}

// TestAliasesKeepOldPayloadsLoading: a type registered under a new name with
// its old name as an alias (taking the old registration over) decodes
// payloads of both names and writes the new one.
func TestAliasesKeepOldPayloadsLoading(t *testing.T) {
	var r payload.Registry
	require.NoError(t, r.Register(maxRegType("old.Reg")))
	require.NoError(t, r.Register(maxRegType("test.MaxReg", "old.Reg")))
	assert.Equal(t, []string{"test.MaxReg"}, r.Names())
	c := payload.Codec{Registry: &r}
	s, err := c.Unmarshal([]byte(`{"state":{"max":4},"type":"old.Reg","version":1}`), "a")
	require.NoError(t, err)
	assert.Equal(t, uint64(4), s.(*maxReg).Value())
	b, err := c.Marshal(s)
	require.NoError(t, err)
	assert.Equal(t, `{"state":{"max":4},"type":"test.MaxReg","version":1}`, string(b))
	require.NoError(t, c.UnmarshalInto([]byte(`{"state":{"max":5},"type":"old.Reg","version":1}`), s))
	name, err := c.TypeOf([]byte(`{"state":{"max":5},"type":"old.Reg","version":1}`))
	require.NoError(t, err)
	assert.Equal(t, "test.MaxReg", name)
}

// TestUnknownTypeNamesTheCall is issue 11, item 7: the unknown-type error of
// a generic family says which call registers it.
func TestUnknownTypeNamesTheCall(t *testing.T) {
	payload.RegisterHint("test.Box", "test.RegisterBox[%s]()")
	_, err := payload.Unmarshal([]byte(`{"state":{},"type":"test.Box[main.SKU]","version":1}`), "a")
	require.ErrorIs(t, err, payload.ErrUnknownType)
	assert.Contains(t, err.Error(), `payload: unknown type "test.Box[main.SKU]": register it with test.RegisterBox[main.SKU]()`)
	_, err = payload.Unmarshal([]byte(`{"state":{},"type":"nope.Nope","version":1}`), "a")
	require.ErrorIs(t, err, payload.ErrUnknownType)
	assert.Contains(t, err.Error(), "compound.RegisterStruct")
}

// TestRegisterName covers the wire names of Go types.
func TestRegisterName(t *testing.T) {
	type sku struct{ ID string }
	type sku2 struct{ ID string }
	assert.Equal(t, "payload_test.sku", payload.NameOf[sku]())
	require.NoError(t, payload.RegisterName[sku]("shop.SKU"))
	require.NoError(t, payload.RegisterName[sku]("shop.SKU"), "naming again alike does nothing")
	assert.Equal(t, "shop.SKU", payload.NameOf[sku]())
	require.ErrorIs(t, payload.RegisterName[sku]("shop.Other"), payload.ErrNameTaken)
	require.ErrorIs(t, payload.RegisterName[sku2]("shop.SKU"), payload.ErrNameTaken)
	for _, bad := range []string{"", "a[b]", "a,b", "a b"} {
		require.ErrorIs(t, payload.RegisterName[sku2](bad), payload.ErrInvalid, "%q", bad)
	}
	name, aliases := payload.GenericName[sku]("sets.ORSet")
	assert.Equal(t, "sets.ORSet[shop.SKU]", name)
	assert.Equal(t, []string{"sets.ORSet[payload_test.sku]"}, aliases)
	name, aliases = payload.GenericName[string]("sets.ORSet")
	assert.Equal(t, "sets.ORSet[string]", name)
	assert.Empty(t, aliases)
	var fe *payload.FieldError
	assert.False(t, errors.As(payload.RegisterName[sku2]("ok.Name"), &fe))
}
