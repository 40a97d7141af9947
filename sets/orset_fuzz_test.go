package sets_test

import (
	"testing"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// FuzzORSetLoadPayload: LoadPayload, direct or through payload.Unmarshal,
// never panics; a failed load leaves the set unchanged; whatever it accepts
// re-encodes to canonical bytes that load again and encode identically (see
// fuzzSetPayload), and the loaded set still merges and mutates.
func FuzzORSetLoadPayload(f *testing.F) {
	for _, s := range []string{
		`{"context":{"cloud":[],"vv":[]},"elements":[]}`,
		`{"context":{"cloud":[],"vv":[{"n":2,"r":"a"},{"n":1,"r":"b"}]},"elements":[{"dots":[{"n":1,"r":"a"},{"n":1,"r":"b"}],"e":"x"}]}`,
		`{"context":{"cloud":[{"n":5,"r":"b"}],"vv":[{"n":3,"r":"a"}]},"elements":[{"dots":[{"n":5,"r":"b"}],"e":"y"},{"dots":[{"n":2,"r":"a"}],"e":"x"}]}`,
		`{"elements":[{"e":"x","dots":[{"r":"a","n":1}]}],"context":{"vv":[{"r":"a","n":1}],"cloud":[]}}`,
		`{"context":{"cloud":[],"vv":[{"n":1,"r":"a"}]},"elements":[{"dots":[{"n":2,"r":"a"}],"e":"x"}]}`,
		`{"context":{"cloud":[],"vv":[{"n":9007199254740991,"r":"me"}]},"elements":[{"dots":[{"n":7,"r":"me"}],"e":"\u0000"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSetPayload(t, func() crdt.State {
			s := sets.NewORSet[string]("me")
			_ = s.Add("keep")
			return s
		}, data)
		s := sets.NewORSet[string]("me")
		if err := s.LoadPayload(data); err != nil {
			return
		}
		back, err := payload.UnmarshalAs[*sets.ORSet[string]](stateBytes(t, s), "me")
		if err != nil {
			t.Fatal(err)
		}
		// The loaded state is usable: it merges with itself and a fresh add
		// lands.
		if err := back.Merge(s); err != nil {
			t.Fatal(err)
		}
		if err := back.Add("fuzz"); err == nil && !back.Contains("fuzz") {
			t.Fatal("add did not land")
		}
	})
}
