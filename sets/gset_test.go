package sets_test

import (
	"errors"
	"slices"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// fatalHelper is what both *testing.T and *rapid.T offer.
type fatalHelper interface {
	Helper()
	Fatal(...any)
}

// stateBytes returns the payload of s.
func stateBytes(t fatalHelper, s crdt.State) []byte {
	t.Helper()
	b, err := payload.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// valueJSON returns v in JSON, as the payload package would write it.
func valueJSON(t fatalHelper, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// userElem is a small struct element type, ordered in payloads by its JSON
// encoding.
type userElem struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func init() {
	sets.RegisterGSet[userElem]()
	sets.RegisterTwoPSet[userElem]()
	sets.RegisterLWWSet[userElem]()
}

// loadRejectCase is a payload state that LoadPayload must reject, naming
// field (when field is not empty).
type loadRejectCase struct {
	name, state, field string
}

// checkLoadRejects loads each case into a fresh state from newState, directly
// and through an envelope, and checks the error and that nothing changed.
func checkLoadRejects(t *testing.T, newState func() crdt.State, cases []loadRejectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newState()
			before := stateBytes(t, s)
			err := s.LoadPayload([]byte(tc.state))
			require.ErrorIs(t, err, payload.ErrInvalid)
			if tc.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				assert.Equal(t, tc.field, fe.Field, "%v", err)
			}
			assert.Equal(t, string(before), string(stateBytes(t, s)), "a failed load changes nothing")
			env := `{"state":` + tc.state + `,"type":"` + s.TypeName() + `","version":1}`
			_, err = payload.Unmarshal([]byte(env), "x")
			require.ErrorIs(t, err, payload.ErrInvalid)
			if tc.field != "" {
				var fe *payload.FieldError
				require.True(t, errors.As(err, &fe), "%v", err)
				assert.Equal(t, "state."+tc.field, fe.Field)
			}
		})
	}
}

func TestGSetBasics(t *testing.T) {
	s := sets.NewGSet[string]("a")
	assert.Equal(t, 0, s.Len())
	assert.Equal(t, []string{}, s.Value())
	s.Add("b")
	s.Add("a")
	s.Add("b")
	assert.True(t, s.Contains("a"))
	assert.False(t, s.Contains("c"))
	assert.Equal(t, 2, s.Len())
	assert.Equal(t, []string{"a", "b"}, s.Value())
	got := slices.Sorted(s.All())
	assert.Equal(t, []string{"a", "b"}, got)
	// Value is the caller's.
	v := s.Value()
	v[0] = "zzz"
	assert.Equal(t, []string{"a", "b"}, s.Value())
	// All stops when asked.
	n := 0
	for range s.All() {
		n++
		break
	}
	assert.Equal(t, 1, n)
}

func TestGSetAndTwoPSetZeroValues(t *testing.T) {
	var g sets.GSet[string]
	assert.Equal(t, `{"elements":[]}`, valueJSON(t, g.Payload()))
	g.Add("x")
	assert.Equal(t, []string{"x"}, g.Value())
	var p sets.TwoPSet[string]
	assert.Equal(t, `{"elements":[],"removed":[]}`, valueJSON(t, p.Payload()))
	require.NoError(t, p.Add("x"))
	p.Remove("y")
	assert.Equal(t, `{"elements":["x"],"removed":["y"]}`, valueJSON(t, p.Payload()))
	var q sets.TwoPSet[string]
	require.NoError(t, q.Merge(&p))
	assert.Equal(t, []string{"x"}, q.Value())
}

func TestGSetMergeAndDelta(t *testing.T) {
	a := sets.NewGSet[int]("a")
	b := sets.NewGSet[int]("b")
	stale := a.Clone()
	a.Add(1)
	a.Add(2)
	a.Add(2)
	b.Add(10)
	b.Add(2)
	d, ok := a.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, []int{1, 2}, d.Value())
	_, ok = a.TakeDelta()
	assert.False(t, ok)
	require.NoError(t, stale.Merge(d))
	assert.Equal(t, stateBytes(t, a), stateBytes(t, stale))

	require.NoError(t, a.Merge(b))
	_, ok = a.TakeDelta()
	assert.False(t, ok, "merge records no delta")
	assert.Equal(t, []int{1, 2, 10}, a.Value(), "ints sort by value, not by text")
	assert.Equal(t, `{"state":{"elements":[1,2,10]},"type":"sets.GSet[int]","version":1}`, string(stateBytes(t, a)))
	// b is untouched, and later changes to b do not reach a.
	assert.Equal(t, []int{2, 10}, b.Value())
	b.Add(99)
	assert.False(t, a.Contains(99))
	require.NoError(t, a.Merge(nil))
	assert.Equal(t, 3, a.Len())
	// A re-add of a present element is no mutation.
	a.Add(10)
	_, ok = a.TakeDelta()
	assert.False(t, ok)
}

func TestGSetTypeNames(t *testing.T) {
	assert.Equal(t, "sets.GSet[string]", sets.NewGSet[string]("").TypeName())
	assert.Equal(t, "sets.GSet[int64]", sets.NewGSet[int64]("").TypeName())
	assert.Equal(t, "sets.GSet[sets_test.userElem]", sets.NewGSet[userElem]("").TypeName())
	for _, n := range []string{"sets.GSet[string]", "sets.GSet[int]", "sets.GSet[int64]",
		"sets.TwoPSet[string]", "sets.TwoPSet[int]", "sets.TwoPSet[int64]",
		"sets.LWWSet[string]", "sets.LWWSet[int]", "sets.LWWSet[int64]"} {
		_, ok := payload.Default.Lookup(n)
		assert.True(t, ok, "%s registered in init", n)
	}
	// Registering again is harmless.
	sets.RegisterGSet[string]()
	sets.RegisterGSet[userElem]()
	sets.RegisterTwoPSet[userElem]()
	sets.RegisterLWWSet[userElem]()
	// Register covers all four set types, and is idempotent too.
	type tag struct {
		K string `json:"k"`
	}
	sets.Register[tag]()
	sets.Register[tag]()
	for _, kind := range []string{"GSet", "TwoPSet", "LWWSet", "ORSet"} {
		_, ok := payload.Default.Lookup("sets." + kind + "[sets_test.tag]")
		assert.True(t, ok, "Register[tag] registers %s", kind)
	}
	// An unregistered element type cannot be marshalled.
	type unregistered struct{ X int }
	_, err := payload.Marshal(sets.NewGSet[unregistered](""))
	require.ErrorIs(t, err, payload.ErrUnknownType)
}

func TestGSetStructElements(t *testing.T) {
	s := sets.NewGSet[userElem]("a")
	s.Add(userElem{Name: "zoe", Age: 30})
	s.Add(userElem{Name: "al", Age: 41})
	s.Add(userElem{Name: "al", Age: 5})
	data := stateBytes(t, s)
	// Canonical order is that of the elements' JSON encodings:
	// {"name":"al","age":41} < {"name":"al","age":5} < {"name":"zoe",...}.
	assert.Equal(t, `{"state":{"elements":[{"name":"al","age":41},{"name":"al","age":5},{"name":"zoe","age":30}]},"type":"sets.GSet[sets_test.userElem]","version":1}`, string(data))
	back, err := payload.UnmarshalAs[*sets.GSet[userElem]](data, "b")
	require.NoError(t, err)
	assert.Equal(t, s.Value(), back.Value())
	assert.True(t, back.Contains(userElem{Name: "al", Age: 5}))
	assert.Equal(t, string(data), string(stateBytes(t, back)))
	// Strictness reaches into the elements.
	require.ErrorIs(t, back.LoadPayload([]byte(`{"elements":[{"name":"al","age":5,"admin":true}]}`)), payload.ErrInvalid)
	require.ErrorIs(t, back.LoadPayload([]byte(`{"elements":[{"name":"al","age":"5"}]}`)), payload.ErrInvalid)
	assert.Equal(t, 3, back.Len())
}

func TestGSetLoadRejects(t *testing.T) {
	newState := func() crdt.State {
		s := sets.NewGSet[string]("a")
		s.Add("keep")
		return s
	}
	checkLoadRejects(t, newState, []loadRejectCase{
		{"missing elements", `{}`, "elements"},
		{"null elements", `{"elements":null}`, "elements"},
		{"null element", `{"elements":["a",null]}`, "elements[1]"},
		{"duplicate", `{"elements":["a","b","a"]}`, "elements[2]"},
		{"wrong element type", `{"elements":[1]}`, ""},
		{"unknown field", `{"elements":[],"removed":[]}`, "removed"},
		{"not an array", `{"elements":"a"}`, ""},
		{"trailing", `{"elements":[]}]`, ""},
	})
	ints := func() crdt.State { return sets.NewGSet[int]("a") }
	checkLoadRejects(t, ints, []loadRejectCase{
		{"fraction", `{"elements":[1.5]}`, ""},
		{"string", `{"elements":["1"]}`, ""},
		{"duplicate", `{"elements":[1,1]}`, "elements[1]"},
		{"null", `{"elements":[null]}`, "elements[0]"},
	})
}

func TestGSetLoadAcceptsAnyOrderAndNullInStrings(t *testing.T) {
	s := sets.NewGSet[string]("a")
	require.NoError(t, s.LoadPayload([]byte(`{"elements":["null","b","a"]}`)))
	assert.Equal(t, []string{"a", "b", "null"}, s.Value())
	_, ok := s.TakeDelta()
	assert.False(t, ok)
}

// gsetOracle checks GSet against a log of adds: a replica knows a set of
// add operations and merging is union of what is known.
func TestGSetMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const n = 3
		reps := make([]*sets.GSet[int], n)
		known := make([]map[int]bool, n)
		for i := range reps {
			reps[i] = sets.NewGSet[int](crdt.ReplicaID(rune('a' + i)))
			known[i] = map[int]bool{}
		}
		for range rapid.IntRange(1, 50).Draw(t, "steps") {
			r := rapid.IntRange(0, n-1).Draw(t, "r")
			if rapid.Bool().Draw(t, "add") {
				x := rapid.IntRange(-5, 20).Draw(t, "x")
				reps[r].Add(x)
				known[r][x] = true
			} else {
				src := rapid.IntRange(0, n-1).Draw(t, "src")
				_ = reps[r].Merge(reps[src])
				for x := range known[src] {
					known[r][x] = true
				}
			}
			for i := range reps {
				want := []int{}
				for x := range known[i] {
					want = append(want, x)
				}
				slices.Sort(want)
				if got := reps[i].Value(); !slices.Equal(got, want) {
					t.Fatalf("replica %d: %v, oracle %v", i, got, want)
				}
			}
		}
	})
}

func TestGSetLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.GSet[string], []string]{
		New: func(r crdt.ReplicaID) *sets.GSet[string] { return sets.NewGSet[string](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.GSet[string]) {
			s.Add(rapid.SampledFrom([]string{"a", "b", "c", "d", "e"}).Draw(t, "x"))
		},
	})
}

func TestGSetLawsStructElements(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*sets.GSet[userElem], []userElem]{
		New: func(r crdt.ReplicaID) *sets.GSet[userElem] { return sets.NewGSet[userElem](r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *sets.GSet[userElem]) {
			s.Add(userElem{
				Name: rapid.SampledFrom([]string{"al", "bo", "é\"<"}).Draw(t, "name"),
				Age:  rapid.IntRange(-1, 2).Draw(t, "age"),
			})
		},
	})
}
