package compound_test

import (
	"fmt"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
)

// team nests maps in a struct: a map of sets (role -> members), a map of
// structs (member -> profile), and a plain field beside them.
type team struct {
	Profiles *compound.Map[string, *compound.Struct[profile]] `crdt:"profiles"`
	Roles    *compound.Map[string, *stSet]                    `crdt:"roles"`
	Version  *stMax                                           `crdt:"version"`
}

var teamType = compound.MustRegisterStruct("compoundtest.Team", func(r crdt.ReplicaID) team {
	return team{
		Profiles: compound.NewMap[string](r, profileType.New),
		Roles:    compound.NewMap[string](r, newStSet),
		Version:  newStMax(r),
	}
})

// canonValue turns a value that may hold CRDT states (a Map's Value holds
// states) into plain data: each state becomes its canonical payload.
func canonValue(v any) any {
	if s, ok := v.(crdt.State); ok {
		b, err := json.Marshal(s.Payload())
		if err != nil {
			return fmt.Sprintf("unencodable: %v", err)
		}
		return string(b)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map {
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = canonValue(it.Value().Interface())
		}
		return out
	}
	return v
}

func equalValues(a, b map[string]any) bool {
	return reflect.DeepEqual(canonValue(a), canonValue(b))
}

func mutateTeam(t *rapid.T, s *compound.Struct[team]) {
	f := s.Fields()
	key := rapid.SampledFrom([]string{"ann", "ben", "cat"}).Draw(t, "key")
	var err error
	switch rapid.IntRange(0, 4).Draw(t, "op") {
	case 0:
		err = f.Roles.Update(key, func(m *stSet) error { m.Add(stElems.Draw(t, "member")); return nil })
	case 1:
		f.Roles.Remove(key)
	case 2:
		err = f.Profiles.Update(key, func(p *compound.Struct[profile]) error {
			mutateProfile(t, p)
			return nil
		})
	case 3:
		f.Profiles.Remove(key)
	default:
		f.Version.Set(rapid.Uint64Range(0, 9).Draw(t, "version"))
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestStructOfMapsLaws runs the law checker on a struct of maps of sets and
// of maps of structs.
func TestStructOfMapsLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*compound.Struct[team], map[string]any]{
		New:    teamType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[team]) { mutateTeam(t, s) },
		Equal:  equalValues,
	})
}

func TestStructOfMapsPayloadAndDelta(t *testing.T) {
	a := teamType.New("a")
	require.NoError(t, a.Fields().Roles.Update("admin", func(s *stSet) error { s.Add("ann"); return nil }))
	require.NoError(t, a.Fields().Profiles.Update("ann", func(p *compound.Struct[profile]) error {
		p.Fields().Score.Set(4)
		return nil
	}))
	stale := teamType.New("b")

	d, ok := a.TakeDelta()
	require.True(t, ok)
	_, ok = d.Fields().Version.TakeDelta()
	assert.False(t, ok)
	assert.Equal(t, 0, int(d.Fields().Version.Value()), "an untouched field's delta part is empty")
	require.NoError(t, stale.Merge(d))
	assert.Equal(t, string(marshal(t, a)), string(marshal(t, stale)), "the delta carries both maps' changes")

	b := marshal(t, a)
	got, err := payload.UnmarshalAs[*compound.Struct[team]](b, "c")
	require.NoError(t, err)
	assert.Equal(t, string(b), string(marshal(t, got)))
	ann, ok := got.Fields().Profiles.Get("ann")
	require.True(t, ok)
	assert.Equal(t, uint64(4), ann.Fields().Score.Value())
	assert.Equal(t, crdt.ReplicaID("c"), ann.Replica(), "values deep inside are bound to the loading replica")

	// A bad set deep inside a map inside the struct: the error path names
	// every level, and nothing changes.
	bad := []byte(`{"state":{"profiles":{"context":{"cloud":[],"vv":[]},"entries":[]},"roles":{"context":{"cloud":[],"vv":[{"n":1,"r":"a"}]},"entries":[{"key":"admin","values":[{"dot":{"n":1,"r":"a"},"value":{"e":["z","a"]}}]}]},"version":{"v":0}},"type":"compoundtest.Team","version":1}`)
	before := marshal(t, got)
	err = payload.UnmarshalInto(bad, got)
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Field, "state.roles.entries[0]")
	assert.Contains(t, fe.Field, "e[1]")
	assert.Equal(t, string(before), string(marshal(t, got)))
}
