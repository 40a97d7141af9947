package sets

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/payload"
)

// orsetPayloadOracle is the ORSet payload as a plain value for the JSON
// encoder, built independently of the one-pass writer: elements collected,
// then sorted.
func orsetPayloadOracle(t require.TestingT, s *ORSet[string]) []byte {
	type el struct {
		Dots []causal.Dot `json:"dots"`
		E    string       `json:"e"`
	}
	var els []el
	for e, ds := range s.elems.All() {
		els = append(els, el{Dots: ds.AppendTo(nil), E: e})
	}
	slices.SortFunc(els, func(a, b el) int { return strings.Compare(a.E, b.E) })
	if els == nil {
		els = []el{}
	}
	ctx, err := json.Marshal(&s.ctx)
	require.NoError(t, err)
	state, err := json.Marshal(struct {
		Context  json.RawMessage `json:"context"`
		Elements []el            `json:"elements"`
	}{ctx, els})
	require.NoError(t, err)
	env, err := json.Marshal(struct {
		State   json.RawMessage `json:"state"`
		Type    string          `json:"type"`
		Version int             `json:"version"`
	}{state, s.TypeName(), 1})
	require.NoError(t, err)
	return env
}

// TestORSetPayloadMatchesEncoder: the one-pass payload writer gives the
// bytes that the JSON encoder gives for the same state, on random states of
// several replicas with concurrent adds, removes and out-of-order contexts,
// and with elements that need escaping.
func TestORSetPayloadMatchesEncoder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		reps := []*ORSet[string]{NewORSet[string]("a"), NewORSet[string]("b<&>"), NewORSet[string]("c")}
		elem := rapid.OneOf(rapid.StringMatching(`[a-e]`), rapid.String())
		for range rapid.IntRange(0, 40).Draw(t, "ops") {
			r := reps[rapid.IntRange(0, 2).Draw(t, "r")]
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1:
				require.NoError(t, r.Add(elem.Draw(t, "e")))
			case 2:
				r.Remove(elem.Draw(t, "e"))
			case 3:
				if d, ok := reps[rapid.IntRange(0, 2).Draw(t, "from")].TakeDelta(); ok {
					require.NoError(t, r.Merge(d))
				}
			}
		}
		for _, r := range reps {
			got, err := payload.Marshal(r)
			require.NoError(t, err)
			require.Equal(t, string(orsetPayloadOracle(t, r)), string(got))
		}
	})
}

// A set of other element types still encodes as the encoder does.
func TestORSetPayloadOtherElements(t *testing.T) {
	s := NewORSet[int]("a")
	for _, x := range []int{5, -3, 1 << 40} {
		require.NoError(t, s.Add(x))
	}
	got, err := payload.Marshal(s)
	require.NoError(t, err)
	require.Contains(t, string(got), fmt.Sprintf(`"e":%d}`, -3))
	back, err := payload.UnmarshalAs[*ORSet[int]](got, "b")
	require.NoError(t, err)
	require.Equal(t, []int{-3, 5, 1 << 40}, back.Elements())
}
