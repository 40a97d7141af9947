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
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
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
	assert.Equal(t, "state.roles.entries[0].values[0].value.e[1]", fe.Field)
	assert.Equal(t, string(before), string(marshal(t, got)))
}

// club is the same shape with the toolbox's own types: a struct holding a
// map of LWW sets, a map of PN counters and a nested Struct.
type club struct {
	Groups *compound.Map[string, *sets.LWWSet[string]] `crdt:"groups"`
	Karma  *compound.Map[string, *counters.PNCounter]  `crdt:"karma"`
	Owner  *compound.Struct[Friendship]                `crdt:"owner"`
}

var clubType = compound.MustRegisterStruct("compoundtest.Club", func(r crdt.ReplicaID) club {
	return club{
		Groups: compound.NewMap[string](r, sets.NewLWWSet[string]),
		Karma:  compound.NewMap[string](r, counters.NewPNCounter),
		Owner:  FriendshipType.New(r),
	}
})

func TestStructOfToolboxMapsLaws(t *testing.T) {
	names := rapid.SampledFrom([]string{"ann", "ben", "cat"})
	crdttest.Check(t, crdttest.Spec[*compound.Struct[club], map[string]any]{
		New: clubType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[club]) {
			f := s.Fields()
			key, who := names.Draw(t, "key"), names.Draw(t, "who")
			var err error
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0:
				err = f.Groups.Update(key, func(g *sets.LWWSet[string]) error { return g.Add(who) })
			case 1:
				err = f.Groups.Update(key, func(g *sets.LWWSet[string]) error { return g.Remove(who) })
			case 2:
				f.Groups.Remove(key)
			case 3:
				err = f.Karma.Update(key, func(c *counters.PNCounter) error {
					if rapid.Bool().Draw(t, "inc") {
						return c.Inc(1)
					}
					return c.Dec(1)
				})
			case 4:
				err = f.Owner.Fields().Following.Add(who)
			default:
				err = f.Owner.Fields().Followers.Remove(who)
			}
			if err != nil {
				t.Fatal(err)
			}
		},
		Equal: equalValues,
	})
}
