package compound_test

import (
	"bytes"
	"testing"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// FuzzStructLoadPayload feeds arbitrary bytes to a nested Struct's
// LoadPayload: it must never panic, a failed load must leave the state
// unchanged, and whatever loads must re-encode to bytes that load again to
// the same bytes.
func FuzzStructLoadPayload(f *testing.F) {
	for _, seed := range []string{
		`{"admin":{"logins":{"v":2},"owner":{"score":{"v":0},"tags":{"e":["t"]}}},"members":{"e":["m"]}}`,
		`{"admin":{"logins":{"v":0},"owner":{"score":{"v":0},"tags":{"e":[]}}},"members":{"e":[]}}`,
		`{"admin":{"logins":{"v":1},"owner":{"score":{"v":1},"tags":{"e":["a","b"]}}},"members":{"e":["a"]},"members":{"e":[]}}`,
		`{"admin":null,"members":{"e":[]}}`,
		`{"admin":{"logins":{"v":1},"owner":{"score":{"v":1},"tags":{"e":["b","a"]}}},"members":{"e":[]}}`,
		`{"\u0061dmin":{}}`,
		`[]`,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o := orgType.New("fuzz")
		o.Fields().Members.Add("before")
		before, err := payload.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.LoadPayload(data); err != nil {
			after, _ := payload.Marshal(o)
			if !bytes.Equal(before, after) {
				t.Fatalf("failed load changed the state: %v\nbefore %s\nafter  %s", err, before, after)
			}
			return
		}
		enc1, err := payload.Marshal(o)
		if err != nil {
			t.Fatalf("loaded state does not encode: %v", err)
		}
		again, err := payload.UnmarshalAs[*compound.Struct[org]](enc1, crdt.ReplicaID("other"))
		if err != nil {
			t.Fatalf("re-encoded payload does not load: %v\n%s", err, enc1)
		}
		enc2, err := payload.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc1, enc2) {
			t.Fatalf("not canonical:\n%s\n%s", enc1, enc2)
		}
	})
}
