package sets

import (
	"testing"

	"github.com/crdtkit/crdtkit/payload"
)

// FuzzORSetLoadPayload: LoadPayload never panics; whatever it accepts
// re-encodes to canonical bytes that load again and encode identically, and
// the loaded set still merges and mutates.
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
		s := NewORSet[string]("me")
		if err := s.LoadPayload(data); err != nil {
			return
		}
		first, err := payload.Marshal(s)
		if err != nil {
			t.Fatalf("encoding a loaded set: %v", err)
		}
		back, err := payload.UnmarshalAs[*ORSet[string]](first, "me")
		if err != nil {
			t.Fatalf("decoding canonical bytes %s: %v", first, err)
		}
		second, _ := payload.Marshal(back)
		if string(first) != string(second) {
			t.Fatalf("not canonical:\n%s\n%s", first, second)
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
