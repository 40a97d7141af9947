package compound

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
	"github.com/crdtkit/crdtkit/sets"
)

type lwwMap = Map[string, *registers.LWW[string]]
type mvMap = Map[string, *registers.MV[string]]
type orsetMap = Map[string, *sets.ORSet[string]]
type nestedMap = Map[string, *gMap]

func newLWWMap(r crdt.ReplicaID) *lwwMap { return NewMap[string](r, registers.NewLWW[string]) }
func newNestedMap(r crdt.ReplicaID) *nestedMap {
	return NewMap[string](r, func(r crdt.ReplicaID) *gMap { return newGMap(r) })
}

func newMVMap(r crdt.ReplicaID) *mvMap { return NewMap[string](r, registers.NewMV[string]) }
func newORSetMap(r crdt.ReplicaID) *orsetMap {
	return NewMap[string](r, sets.NewORSet[string])
}

func init() {
	RegisterMap[string](registers.NewLWW[string])
	RegisterMap[string](registers.NewMV[string])
	RegisterMap[string](sets.NewORSet[string])
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
	err := m.Update(k, func(v V) error { return update(t, v) })
	if errors.Is(err, crdt.ErrConflict) {
		// A causal value re-created after a remove while another replica
		// kept the old one alive: the documented limitation that
		// TestMapNestedRecreatedValueConflicts pins. The update changed
		// nothing, so the laws are checked on the states as they are.
		return
	}
	if err != nil {
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

func TestMapLawsORSet(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*orsetMap, map[string]*sets.ORSet[string]]{
		New: newORSetMap,
		Mutate: func(t *rapid.T, r crdt.ReplicaID, m *orsetMap) {
			mutateMap(t, m, func(t *rapid.T, s *sets.ORSet[string]) error {
				e := rapid.SampledFrom([]string{"x", "y", "z"}).Draw(t, "element")
				if rapid.Bool().Draw(t, "remove element") {
					s.Remove(e)
					return nil
				}
				return s.Add(e)
			})
		},
		Equal: equalMapValues[string, *sets.ORSet[string]],
	})
}

// mvIdentities gives each replica id of a law check its own MV identity,
// all forked from one seed before any write, as registers' own law test
// does.
type mvIdentities struct {
	mu    sync.Mutex
	spare *registers.Identity
	byID  map[crdt.ReplicaID]*registers.Identity
}

func (ids *mvIdentities) of(r crdt.ReplicaID) *registers.Identity {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if ids.byID == nil {
		ids.spare, ids.byID = registers.SeedIdentity(), map[crdt.ReplicaID]*registers.Identity{}
	}
	id, ok := ids.byID[r]
	if !ok {
		id = ids.spare.Fork()
		ids.byID[r] = id
	}
	return id
}

func TestMapLawsMV(t *testing.T) {
	var ids mvIdentities
	crdttest.Check(t, crdttest.Spec[*mvMap, map[string]*registers.MV[string]]{
		New: newMVMap,
		Mutate: func(t *rapid.T, r crdt.ReplicaID, m *mvMap) {
			id := ids.of(r)
			mutateMap(t, m, func(t *rapid.T, reg *registers.MV[string]) error {
				return reg.Set(id, rapid.SampledFrom([]string{"x", "y", "z"}).Draw(t, "v"))
			})
		},
		Equal:    equalMapValues[string, *registers.MV[string]],
		Replicas: 4,
	})
}

// TestMapNestedRecreatedValueConflicts pins a known limitation of nested
// causal values (docs/maps.md, "Re-created nested values"): a replica that
// removes a key whose value is itself causal (a Map, an ORSet) and then
// creates the key again starts the new value's dots from 1. If another
// replica concurrently kept the old value alive with an update of its own,
// both values come back as concurrent values of the key, and one inner dot
// names two inner keys. The join reports it as crdt.ErrConflict and changes
// nothing; it never loses an update silently.
func TestMapNestedRecreatedValueConflicts(t *testing.T) {
	r1, r2 := newNestedMap("r1"), newNestedMap("r2")
	require.NoError(t, r2.Update("b", func(in *gMap) error { return in.Update("a", ginc(1)) }))
	require.NoError(t, r1.Merge(r2))
	require.NoError(t, r1.Update("b", func(in *gMap) error { return in.Update("c", ginc(1)) }))
	r2.Remove("b")
	require.NoError(t, r2.Update("b", func(in *gMap) error { return in.Update("b", ginc(1)) }))
	require.NoError(t, r2.Merge(r1), "the outer merge keeps both concurrent values")
	before, err := payload.Marshal(r2)
	require.NoError(t, err)
	err = r2.Update("b", func(in *gMap) error { return in.Update("d", ginc(1)) })
	require.ErrorIs(t, err, crdt.ErrConflict)
	after, err := payload.Marshal(r2)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "a failed update changes nothing")
}
