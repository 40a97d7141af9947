package compound_test

import (
	"bytes"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

// checkLoad is the property of the Struct fuzz targets: LoadPayload never
// panics, a failed load leaves the state as it was, and whatever loads
// re-encodes to bytes that load again to the same bytes.
func checkLoad[F any](t *testing.T, s *compound.Struct[F], data []byte) {
	before, err := payload.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadPayload(data); err != nil {
		after, _ := payload.Marshal(s)
		if !bytes.Equal(before, after) {
			t.Fatalf("failed load changed the state: %v\nbefore %s\nafter  %s", err, before, after)
		}
		return
	}
	enc1, err := payload.Marshal(s)
	if err != nil {
		t.Fatalf("loaded state does not encode: %v", err)
	}
	again, err := payload.UnmarshalAs[*compound.Struct[F]](enc1, crdt.ReplicaID("other"))
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
}

// FuzzStructLoadPayload feeds arbitrary bytes to a three-level nested
// Struct's LoadPayload.
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
		checkLoad(t, o, data)
	})
}

// FuzzStructOfMapsLoadPayload does the same for a Struct built on the
// toolbox's own decoders: a map of LWW sets, a map of PN counters and a
// nested Friendship of LWW sets.
func FuzzStructOfMapsLoadPayload(f *testing.F) {
	a := clubType.New("a")
	_ = a.Fields().Groups.Update("admins", func(g *sets.LWWSet[string]) error { return g.Add("ann") })
	_ = a.Fields().Groups.Update("users", func(g *sets.LWWSet[string]) error { return g.Remove("ann") })
	_ = a.Fields().Karma.Update("ben", func(c *counters.PNCounter) error { return c.Dec(2) })
	_ = a.Fields().Owner.Fields().Following.Add("cat")
	b := clubType.New("b")
	_ = b.Fields().Groups.Update("admins", func(g *sets.LWWSet[string]) error { return g.Add("dan") })
	b.Fields().Groups.Remove("users")
	_ = a.Merge(b)
	for _, s := range []*compound.Struct[club]{a, b, clubType.New("c")} {
		data, err := json.Marshal(s.Payload())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := clubType.New("fuzz")
		_ = c.Fields().Karma.Update("x", func(p *counters.PNCounter) error { return p.Inc(1) })
		checkLoad(t, c, data)
	})
}
