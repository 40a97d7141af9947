package payload_test

import (
	"bytes"
	"testing"

	"github.com/crdtkit/crdtkit/payload"
)

// FuzzUnmarshal feeds arbitrary bytes to the envelope decoder: it must never
// panic, and whatever it accepts must re-encode to a payload that decodes
// again to identical bytes.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"state":{"max":1},"type":"test.MaxReg","version":1}`))
	f.Add([]byte(`{"state":{"max":18446744073709551615},"type":"test.MaxReg","version":1}`))
	f.Add([]byte(`{"type":"test.MaxReg","version":1,"state":{"max":1}}`))
	f.Add([]byte(`{"state":{"max":1e3},"type":"test.MaxReg","version":1}`))
	f.Add([]byte(`[[[[[[[[`))
	f.Add([]byte(`{"state":"\"[[[","type":"test.MaxReg","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := payload.Unmarshal(data, "fuzz")
		if err != nil {
			return
		}
		out, err := payload.Marshal(s)
		if err != nil {
			t.Fatalf("decoded state does not encode: %v", err)
		}
		s2, err := payload.Unmarshal(out, "fuzz")
		if err != nil {
			t.Fatalf("canonical payload %s does not decode: %v", out, err)
		}
		out2, err := payload.Marshal(s2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("re-encoding is not stable: %s vs %s (%v)", out, out2, err)
		}
	})
}
