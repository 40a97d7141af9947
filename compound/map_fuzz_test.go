package compound

import (
	"bytes"
	"errors"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// FuzzMapLoadPayload feeds arbitrary states to Map.LoadPayload (a map of PN
// counters, and a map of maps of G counters): it must never panic, reject
// only with errors wrapping payload.ErrInvalid, leave the map unchanged on
// error, and what it accepts must re-encode to a payload that decodes to the
// identical bytes again. An accepted state must also survive an update, a
// remove and merges.
func FuzzMapLoadPayload(f *testing.F) {
	seedPN := func(build func(a, b *pnMap)) {
		a, b := newPNMap("a"), newPNMap("b")
		build(a, b)
		p, _ := json.Marshal(a.Payload())
		f.Add(p)
	}
	seedPN(func(a, b *pnMap) {})
	seedPN(func(a, b *pnMap) {
		_ = a.Update("x", inc(1))
		_ = b.Update("x", func(c *counters.PNCounter) error { return c.Dec(2) })
		_ = b.Update("y", inc(3))
		_ = a.Merge(b)
	})
	seedPN(func(a, b *pnMap) {
		_ = a.Update("x", inc(1))
		_ = b.Update("z", inc(1))
		b.Remove("z")
		d, _ := b.TakeDelta()
		_ = a.Merge(d)
	})
	n := newNestedMap("a")
	_ = n.Update("o", func(in *gMap) error { return in.Update("i", ginc(2)) })
	p, _ := json.Marshal(n.Payload())
	f.Add(p)
	f.Add([]byte(`{"context":{"cloud":[{"n":5,"r":"b"}],"vv":[{"n":2,"r":"a"}]},"entries":[{"key":"k","values":[{"dot":{"n":5,"r":"b"},"value":{"n":{"counts":[]},"p":{"counts":[]}}},{"dot":{"n":1,"r":"a"},"value":{"n":{"counts":[]},"p":{"counts":[{"n":1,"r":"a"}]}}}]}]}`))
	f.Add([]byte(`{"context":{"cloud":[],"vv":[]},"entries":[{"key":"k","values":[]}]}`))
	f.Add([]byte(`{"context":null,"entries":null}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		fuzzOne(t, data, newPNMap)
		fuzzOne(t, data, newNestedMap)
	})
}

func fuzzOne[V crdt.State](t *testing.T, data []byte, newMap func(crdt.ReplicaID) *Map[string, V]) {
	m := newMap("z")
	_ = m.Update("keep", nil)
	before, _ := json.Marshal(m.Payload())
	if err := m.LoadPayload(data); err != nil {
		if !errors.Is(err, payload.ErrInvalid) {
			t.Fatalf("error does not wrap payload.ErrInvalid: %v", err)
		}
		after, _ := json.Marshal(m.Payload())
		if !bytes.Equal(before, after) {
			t.Fatalf("map changed by a failed load:\n%s\n%s", before, after)
		}
		return
	}
	once, err := json.Marshal(m.Payload())
	if err != nil {
		t.Fatalf("encoding an accepted state: %v", err)
	}
	again := newMap("y")
	if err := again.LoadPayload(once); err != nil {
		t.Fatalf("re-encoded state rejected: %v\n%s", err, once)
	}
	twice, _ := json.Marshal(again.Payload())
	if !bytes.Equal(once, twice) {
		t.Fatalf("not canonical:\n%s\n%s", once, twice)
	}
	// An accepted state is usable.
	other := newMap("w")
	_ = other.Update("k", nil)
	if err := m.Merge(other); err != nil {
		t.Fatalf("merge: %v", err)
	}
	if err := other.Merge(again); err != nil {
		t.Fatalf("merge: %v", err)
	}
	for _, k := range m.Keys() {
		_ = m.Update(k, nil)
		m.Remove(k)
	}
	_ = m.Value()
}
