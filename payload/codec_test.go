package payload_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func TestRoundTripBindsCallersReplica(t *testing.T) {
	a := newMaxReg("writer-a")
	a.Set(42)
	data, err := payload.Marshal(a)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "writer-a", "identity must not travel in a payload")

	s, err := payload.Unmarshal(data, "reader-b")
	require.NoError(t, err)
	b := s.(*maxReg)
	assert.Equal(t, crdt.ReplicaID("reader-b"), b.replica)
	assert.Equal(t, uint64(42), b.Value())

	again, err := payload.Marshal(b)
	require.NoError(t, err)
	assert.Equal(t, data, again)

	typed, err := payload.UnmarshalAs[*maxReg](data, "c")
	require.NoError(t, err)
	assert.Equal(t, uint64(42), typed.Value())
}

func TestEnvelopeKeysAreSorted(t *testing.T) {
	a := newMaxReg("a")
	a.Set(1)
	data, err := payload.Marshal(a)
	require.NoError(t, err)
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(data)))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	assert.IsIncreasing(t, keys)
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	cases := []struct {
		name  string
		in    string
		err   error
		field string
	}{
		{"not json", `{"state":`, payload.ErrInvalid, ""},
		{"empty", ``, payload.ErrInvalid, ""},
		{"trailing", `{"state":{"max":1},"type":"test.MaxReg","version":1} {}`, payload.ErrInvalid, ""},
		{"unknown envelope field", `{"state":{"max":1},"type":"test.MaxReg","version":1,"x":1}`, payload.ErrInvalid, "x"},
		{"missing type", `{"state":{"max":1},"version":1}`, payload.ErrInvalid, "type"},
		{"missing version", `{"state":{"max":1},"type":"test.MaxReg"}`, payload.ErrInvalid, "version"},
		{"missing state", `{"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state"},
		{"null state", `{"state":null,"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state"},
		{"version as string", `{"state":{"max":1},"type":"test.MaxReg","version":"1"}`, payload.ErrInvalid, "version"},
		{"version zero", `{"state":{"max":1},"type":"test.MaxReg","version":0}`, payload.ErrInvalid, "version"},
		{"newer version", `{"state":{"max":1},"type":"test.MaxReg","version":2}`, payload.ErrNewerVersion, "version"},
		{"unknown type", `{"state":{"max":1},"type":"nope.Nope","version":1}`, payload.ErrUnknownType, "type"},
		{"negative count", `{"state":{"max":-1},"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state.max"},
		{"unknown state field", `{"state":{"max":1,"min":0},"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state.min"},
		{"invariant", `{"state":{"max":13},"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state.max"},
		{"duplicate envelope key", `{"state":{"max":1},"type":"test.MaxReg","type":"test.MaxReg","version":1}`, payload.ErrInvalid, ""},
		{"duplicate state key", `{"state":{"max":1,"max":2},"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state.max"},
		{"duplicate key by escape", `{"state":{"max":1,"m\u0061x":2},"type":"test.MaxReg","version":1}`, payload.ErrInvalid, "state.max"},
		{"too deep", `{"state":` + deep + `,"type":"test.MaxReg","version":1}`, payload.ErrTooDeep, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := payload.Unmarshal([]byte(c.in), "r")
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, c.err)
			if c.field != "" {
				var fe *payload.FieldError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, c.field, fe.Field)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	a := newMaxReg("a")
	a.Set(7)
	data, err := payload.Marshal(a)
	require.NoError(t, err)

	small := payload.Codec{Limits: payload.Limits{MaxBytes: len(data) - 1}}
	_, err = small.Unmarshal(data, "r")
	assert.ErrorIs(t, err, payload.ErrTooLarge)
	exact := payload.Codec{Limits: payload.Limits{MaxBytes: len(data)}}
	_, err = exact.Unmarshal(data, "r")
	assert.NoError(t, err)

	// The envelope and the state object make two levels.
	shallow := payload.Codec{Limits: payload.Limits{MaxDepth: 1}}
	_, err = shallow.Unmarshal(data, "r")
	assert.ErrorIs(t, err, payload.ErrTooDeep)
	two := payload.Codec{Limits: payload.Limits{MaxDepth: 2}}
	_, err = two.Unmarshal(data, "r")
	assert.NoError(t, err)
}

// jsonDepth is an independent oracle for the nesting depth of valid JSON.
func jsonDepth(v any) int {
	switch x := v.(type) {
	case []any:
		d := 0
		for _, e := range x {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	case map[string]any:
		d := 0
		for _, e := range x {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	}
	return 0
}

func genJSON(depth int) *rapid.Generator[any] {
	return rapid.Custom(func(t *rapid.T) any {
		kind := rapid.IntRange(0, 4).Draw(t, "kind")
		if depth <= 0 {
			kind = min(kind, 1)
		}
		switch kind {
		case 0:
			// Strings full of brackets and escapes must not count.
			return rapid.StringOf(rapid.SampledFrom([]rune(`[]{}"\ab`))).Draw(t, "s")
		case 1:
			return rapid.Int().Draw(t, "n")
		case 2, 3:
			return rapid.SliceOfN(genJSON(depth-1), 0, 3).Draw(t, "arr")
		default:
			return rapid.MapOfN(rapid.StringN(0, 3, -1), genJSON(depth-1), 0, 3).Draw(t, "obj")
		}
	})
}

func TestDepthCheckMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genJSON(6).Draw(t, "v")
		data, err := json.Marshal(v) // maps give unique keys
		require.NoError(t, err)
		d := jsonDepth(v)
		limit := rapid.IntRange(1, 8).Draw(t, "limit")
		err = payload.Limits{MaxDepth: limit}.Check(data)
		if d > limit {
			assert.ErrorIs(t, err, payload.ErrTooDeep)
		} else {
			assert.NoError(t, err)
		}
	})
}

func TestUnmarshalIntoKeepsStateOnError(t *testing.T) {
	a := newMaxReg("a")
	a.Set(5)
	err := payload.UnmarshalInto([]byte(`{"state":{"max":13},"type":"test.MaxReg","version":1}`), a)
	require.ErrorIs(t, err, payload.ErrInvalid)
	assert.Equal(t, uint64(5), a.Value())

	err = payload.UnmarshalInto([]byte(`{"state":{"max":9},"type":"test.MaxReg","version":1}`), a)
	require.NoError(t, err)
	assert.Equal(t, uint64(9), a.Value())
	assert.Equal(t, crdt.ReplicaID("a"), a.replica)
}

func TestUpgradeOlderVersion(t *testing.T) {
	var reg payload.Registry
	reg.MustRegister(payload.Type{
		Name: "test.MaxReg", Version: 2,
		New: func(r crdt.ReplicaID) crdt.State { return newMaxReg(r) },
		Upgrade: func(from int, state []byte) ([]byte, error) {
			// Version 1 called the field "m".
			var old struct {
				M uint64 `json:"m"`
			}
			if err := payload.DecodeStrict(state, &old); err != nil {
				return nil, err
			}
			return fmt.Appendf(nil, `{"max":%d}`, old.M), nil
		},
	})
	c := payload.Codec{Registry: &reg}
	s, err := c.Unmarshal([]byte(`{"state":{"m":8},"type":"test.MaxReg","version":1}`), "r")
	require.NoError(t, err)
	assert.Equal(t, uint64(8), s.(*maxReg).Value())

	_, err = c.Unmarshal([]byte(`{"state":{"max":8},"type":"test.MaxReg","version":1}`), "r")
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "state.max", fe.Field)
}

func TestRegisterRejectsDuplicatesAndIncompleteTypes(t *testing.T) {
	var reg payload.Registry
	newFn := func(r crdt.ReplicaID) crdt.State { return newMaxReg(r) }
	require.NoError(t, reg.Register(payload.Type{Name: "x", Version: 1, New: newFn}))
	assert.ErrorIs(t, reg.Register(payload.Type{Name: "x", Version: 1, New: newFn}), payload.ErrDuplicateType)
	assert.ErrorIs(t, reg.Register(payload.Type{Name: "y", Version: 0, New: newFn}), payload.ErrInvalid)
	assert.ErrorIs(t, reg.Register(payload.Type{Name: "", Version: 1, New: newFn}), payload.ErrInvalid)
	assert.Equal(t, []string{"x"}, reg.Names())
}

func TestInFieldPaths(t *testing.T) {
	inner := payload.Invalidf("n", "zero")
	err := payload.InField("state", payload.InField(payload.Index("counts", 2), inner))
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "state.counts[2].n", fe.Field)
	assert.ErrorIs(t, err, payload.ErrInvalid)
	assert.Nil(t, payload.InField("x", nil))
	plain := payload.InField("k", errors.New("boom"))
	require.ErrorAs(t, plain, &fe)
	assert.Equal(t, "k", fe.Field)
}

type point struct {
	X int    `json:"x"`
	Y string `json:"y"`
}

func TestCompareIsATotalOrder(t *testing.T) {
	gen := rapid.Custom(func(t *rapid.T) point {
		return point{X: rapid.IntRange(-3, 3).Draw(t, "x"), Y: rapid.StringN(0, 2, -1).Draw(t, "y")}
	})
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := gen.Draw(t, "a"), gen.Draw(t, "b"), gen.Draw(t, "c")
		ab, ba := payload.Compare(a, b), payload.Compare(b, a)
		assert.Equal(t, ab == 0, a == b, "zero exactly for equal elements")
		assert.Equal(t, ab, -ba, "antisymmetric")
		if ab <= 0 && payload.Compare(b, c) <= 0 {
			assert.LessOrEqual(t, payload.Compare(a, c), 0, "transitive")
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		a, b := rapid.Int64().Draw(t, "a"), rapid.Int64().Draw(t, "b")
		want := 0
		if a < b {
			want = -1
		} else if a > b {
			want = 1
		}
		assert.Equal(t, want, payload.Compare(a, b))
	})
}

func TestSortElementsAgreesWithCompare(t *testing.T) {
	gen := rapid.Custom(func(t *rapid.T) point {
		return point{X: rapid.IntRange(-3, 3).Draw(t, "x"), Y: rapid.StringN(0, 2, -1).Draw(t, "y")}
	})
	rapid.Check(t, func(t *rapid.T) {
		xs := rapid.SliceOf(gen).Draw(t, "xs")
		payload.SortElements(xs)
		for i := 1; i < len(xs); i++ {
			assert.LessOrEqual(t, payload.Compare(xs[i-1], xs[i]), 0)
		}
		ns := rapid.SliceOf(rapid.Int()).Draw(t, "ns")
		payload.SortElements(ns)
		assert.IsNonDecreasing(t, ns)
	})
}

// A value of the wrong type at the root of a nested decode names no field of
// its own, so the field that embeds it names the error.
func TestRootTypeErrorTakesTheEnclosingField(t *testing.T) {
	var n uint64
	err := payload.InField("entries[0].key", payload.DecodeStrict([]byte(`"x"`), &n))
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "entries[0].key", fe.Field)
	assert.ErrorIs(t, err, payload.ErrInvalid)
}

// reversed orders itself backwards, so sorting by its Compare method is
// told apart from sorting by value or by JSON.
type reversed int

func (r reversed) Compare(o reversed) int { return int(o) - int(r) }

func TestSortElementsUsesTheCompareMethod(t *testing.T) {
	xs := []reversed{3, 1, 2, 5, 4}
	payload.SortElements(xs)
	assert.Equal(t, []reversed{5, 4, 3, 2, 1}, xs)
}
