package compound

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// The oracle of the map's semantics works on histories, not on states: it
// records every operation as an event and computes, for the set of events a
// replica knows, which updates are visible and what each key's value is. It
// shares no code or representation with Map (no causal context, no slots,
// no compaction), so agreement is evidence, not an echo.
//
// The value type is a grow-only counter incremented by 1 per update, whose
// value at an update is a vector replica -> count.
//
//   - An update of key k at replica r sees the updates of k visible at r,
//     replaces them, and its value is the pointwise maximum of their values
//     with r's entry plus one.
//   - A remove of k at r replaces the updates of k visible at r with nothing.
//   - An update is visible at a replica that knows it and knows no event
//     that replaced it. A key is present while it has a visible update; its
//     value is the pointwise maximum of its visible updates' values.
//   - Merging a state or a delta into a replica adds the events the source
//     knows (all of them for a state, those since its last delta for a
//     delta) to the replica's knowledge.
type oracleEvent struct {
	id       int
	key      string
	update   bool           // false: a remove
	replaces []int          // ids of the updates it replaced
	value    map[string]int // for updates: the counter's vector
}

type oracle struct {
	events  []oracleEvent
	knows   map[string]map[int]bool // replica -> known event ids
	pending map[string][]int        // replica -> events since its last delta
}

func (o *oracle) visible(r string, key string) []int {
	replaced := map[int]bool{}
	for id := range o.knows[r] {
		for _, x := range o.events[id].replaces {
			replaced[x] = true
		}
	}
	var vis []int
	for id := range o.knows[r] {
		e := o.events[id]
		if e.update && e.key == key && !replaced[id] {
			vis = append(vis, id)
		}
	}
	slices.Sort(vis)
	return vis
}

func (o *oracle) record(r string, e oracleEvent) {
	e.id = len(o.events)
	o.events = append(o.events, e)
	o.knows[r][e.id] = true
	o.pending[r] = append(o.pending[r], e.id)
}

func (o *oracle) update(r, key string) {
	vis := o.visible(r, key)
	v := map[string]int{}
	for _, id := range vis {
		for rr, n := range o.events[id].value {
			v[rr] = max(v[rr], n)
		}
	}
	v[r]++
	o.record(r, oracleEvent{key: key, update: true, replaces: vis, value: v})
}

func (o *oracle) remove(r, key string) bool {
	vis := o.visible(r, key)
	if len(vis) == 0 {
		return false
	}
	o.record(r, oracleEvent{key: key, replaces: vis})
	return true
}

// value returns the counter totals of the present keys at r.
func (o *oracle) value(r string) map[string]uint64 {
	out := map[string]uint64{}
	keys := map[string]bool{}
	for id := range o.knows[r] {
		keys[o.events[id].key] = true
	}
	for k := range keys {
		vis := o.visible(r, k)
		if len(vis) == 0 {
			continue
		}
		v := map[string]int{}
		for _, id := range vis {
			for rr, n := range o.events[id].value {
				v[rr] = max(v[rr], n)
			}
		}
		total := 0
		for _, n := range v {
			total += n
		}
		out[k] = uint64(total)
	}
	return out
}

func gValues(m *gMap) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m.All() {
		out[k] = v.Value()
	}
	return out
}

// TestMapMatchesOracle runs random histories of updates, removes, full-state
// merges, delta deliveries (in any order, possibly late) and payload
// restarts on three replicas, and checks after every step that each
// replica's keys and values are those the oracle computes.
func TestMapMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		names := []string{"a", "b", "c"}
		ms := map[string]*gMap{}
		o := &oracle{knows: map[string]map[int]bool{}, pending: map[string][]int{}}
		for _, r := range names {
			ms[r] = newGMap(crdt.ReplicaID(r))
			o.knows[r] = map[int]bool{}
		}
		type shipped struct {
			delta  *gMap
			events []int
		}
		var inFlight []shipped

		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			r := rapid.SampledFrom(names).Draw(t, "replica")
			k := rapid.SampledFrom(lawKeys).Draw(t, "key")
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); op {
			case 0, 1, 2: // update
				if err := ms[r].Update(k, ginc(1)); err != nil {
					t.Fatal(err)
				}
				o.update(r, k)
			case 3, 4: // remove
				got := ms[r].Remove(k)
				if want := o.remove(r, k); got != want {
					t.Fatalf("Remove(%q) at %s = %v, oracle %v", k, r, got, want)
				}
			case 5: // full-state merge
				src := rapid.SampledFrom(names).Draw(t, "from")
				if err := ms[r].Merge(ms[src]); err != nil {
					t.Fatal(err)
				}
				for id := range o.knows[src] {
					o.knows[r][id] = true
				}
			case 6: // take a delta and put it in flight
				if d, ok := ms[r].TakeDelta(); ok {
					inFlight = append(inFlight, shipped{d, o.pending[r]})
				} else if len(o.pending[r]) > 0 {
					t.Fatalf("%s has pending events %v but no delta", r, o.pending[r])
				}
				o.pending[r] = nil
			case 7, 8: // deliver an in-flight delta (any of them) to r
				if len(inFlight) == 0 {
					continue
				}
				i := rapid.IntRange(0, len(inFlight)-1).Draw(t, "delta")
				s := inFlight[i]
				if err := ms[r].Merge(s.delta); err != nil {
					t.Fatal(err)
				}
				for _, id := range s.events {
					o.knows[r][id] = true
				}
				if rapid.Bool().Draw(t, "drop delivered") {
					inFlight = slices.Delete(inFlight, i, i+1)
				}
			case 9: // restart from the payload (the pending delta is lost
				// with the process, but its events stay known)
				b, err := payload.Marshal(ms[r])
				if err != nil {
					t.Fatal(err)
				}
				m, err := payload.UnmarshalAs[*gMap](b, crdt.ReplicaID(r))
				if err != nil {
					t.Fatal(err)
				}
				ms[r] = m
				o.pending[r] = nil
			}
			for _, n := range names {
				got, want := gValues(ms[n]), o.value(n)
				if !maps.Equal(got, want) {
					t.Fatalf("replica %s: map %v, oracle %v", n, got, want)
				}
			}
		}
		// A full exchange makes all replicas equal, byte for byte.
		for range 2 {
			for _, x := range names {
				for _, y := range names {
					if err := ms[x].Merge(ms[y]); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		first, _ := payload.Marshal(ms["a"])
		for _, n := range names[1:] {
			b, _ := payload.Marshal(ms[n])
			if string(b) != string(first) {
				t.Fatalf("replicas differ after a full exchange:\n%s\n%s", first, b)
			}
		}
	})
}

func TestOracleSelfCheck(t *testing.T) {
	// The oracle's own reading of the documented traps, so that a bug in it
	// cannot hide one in Map.
	o := &oracle{knows: map[string]map[int]bool{"a": {}, "b": {}}, pending: map[string][]int{}}
	o.update("a", "k")
	o.update("a", "k")
	for id := range o.knows["a"] {
		o.knows["b"][id] = true
	}
	o.remove("a", "k")
	o.update("b", "k") // concurrent with the remove
	for id := range o.knows["b"] {
		o.knows["a"][id] = true
	}
	if got := fmt.Sprint(o.value("a")); got != "map[k:3]" {
		t.Fatalf("remove vs concurrent update: %s, want B's whole value 3", got)
	}
}
