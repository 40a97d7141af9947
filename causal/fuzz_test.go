package causal

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzContextJSON: decoding never panics, and whatever decodes re-encodes to
// canonical bytes that decode to an equal context and encode identically.
func FuzzContextJSON(f *testing.F) {
	for _, s := range []string{
		`{"cloud":[],"vv":[]}`,
		`{"cloud":[{"n":4,"r":"a"},{"n":9,"r":"b"}],"vv":[{"n":1,"r":"a"},{"n":2,"r":"b"}]}`,
		`{"vv":[{"n":2,"r":"b"},{"n":1,"r":"a"}],"cloud":[{"n":9,"r":"b"}]}`,
		`{"cloud":[{"n":3,"r":"a"}],"vv":[{"n":3,"r":"a"}]}`,
		`{"cloud":[],"vv":[{"n":9007199254740991,"r":"\u00e9"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Context
		if err := c.UnmarshalJSON(data); err != nil {
			return
		}
		checkCompact(t, &c)
		first, err := json.Marshal(&c)
		if err != nil {
			t.Fatalf("encoding a decoded context: %v", err)
		}
		var d Context
		if err := d.UnmarshalJSON(first); err != nil {
			t.Fatalf("decoding canonical bytes %s: %v", first, err)
		}
		if !d.Equal(&c) {
			t.Fatalf("round trip changed the context")
		}
		second, _ := json.Marshal(&d)
		if !bytes.Equal(first, second) {
			t.Fatalf("not canonical: %s vs %s", first, second)
		}
	})
}
