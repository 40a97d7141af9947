package compound

import (
	"bytes"
	"testing"

	json "github.com/goccy/go-json"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/registers"
)

type lwwMap = Map[string, *registers.LWW[string]]
type nestedMap = Map[string, *gMap]

func newLWWMap(r crdt.ReplicaID) *lwwMap { return NewMap[string](r, registers.NewLWW[string]) }
func newNestedMap(r crdt.ReplicaID) *nestedMap {
	return NewMap[string](r, func(r crdt.ReplicaID) *gMap { return newGMap(r) })
}

func init() {
	RegisterMap[string](registers.NewLWW[string])
	RegisterMap[string](func(r crdt.ReplicaID) *gMap { return newGMap(r) })
}

// equalMapValues compares the values of two maps (which may belong to
// different replicas) by their canonical payloads.
func equalMapValues[K comparable, V crdt.State](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok {
			return false
		}
		pa, err1 := json.Marshal(va.Payload())
		pb, err2 := json.Marshal(vb.Payload())
		if err1 != nil || err2 != nil || !bytes.Equal(pa, pb) {
			return false
		}
	}
	return true
}

var lawKeys = []string{"a", "b", "c"}

// mutateMap draws one of: update a key with fn, or remove a key.
func mutateMap[V crdt.State](t *rapid.T, m *Map[string, V], update func(t *rapid.T, v V) error) {
	k := rapid.SampledFrom(lawKeys).Draw(t, "key")
	if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
		m.Remove(k)
		return
	}
	if err := m.Update(k, func(v V) error { return update(t, v) }); err != nil {
		t.Fatalf("update %q: %v", k, err)
	}
}

func TestMapLawsPNCounter(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*pnMap, map[string]*counters.PNCounter]{
		New: newPNMap,
		Mutate: func(t *rapid.T, r crdt.ReplicaID, m *pnMap) {
			mutateMap(t, m, func(t *rapid.T, c *counters.PNCounter) error {
				n := rapid.Int64Range(-3, 3).Draw(t, "n")
				if n < 0 {
					return c.Dec(uint64(-n))
				}
				return c.Inc(uint64(n))
			})
		},
		Equal: equalMapValues[string, *counters.PNCounter],
	})
}

func TestMapLawsLWW(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*lwwMap, map[string]*registers.LWW[string]]{
		New: newLWWMap,
		Mutate: func(t *rapid.T, r crdt.ReplicaID, m *lwwMap) {
			mutateMap(t, m, func(t *rapid.T, reg *registers.LWW[string]) error {
				return reg.Set(rapid.SampledFrom([]string{"x", "y", "z"}).Draw(t, "v"))
			})
		},
		Equal: equalMapValues[string, *registers.LWW[string]],
	})
}

func TestMapLawsNested(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*nestedMap, map[string]*gMap]{
		New: newNestedMap,
		Mutate: func(t *rapid.T, r crdt.ReplicaID, m *nestedMap) {
			mutateMap(t, m, func(t *rapid.T, inner *gMap) error {
				ik := rapid.SampledFrom(lawKeys).Draw(t, "inner key")
				if rapid.IntRange(0, 3).Draw(t, "inner op") == 0 {
					inner.Remove(ik)
					return nil
				}
				return inner.Update(ik, ginc(rapid.Uint64Range(1, 3).Draw(t, "n")))
			})
		},
		Equal: equalMapValues[string, *gMap],
	})
}
