package registers

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// The oracle of an MV register: every write is a unique token that
// remembers the set of tokens its replica had seen when writing. A replica's
// value must be exactly the writes it has seen that no other write it has
// seen had seen.

type oracleReplica struct {
	name string
	id   *Identity
	reg  *MV[string]
	seen map[int]bool
}

type inFlight struct {
	tok   int
	delta *MV[string]
}

type mvModel struct {
	live    []*oracleReplica
	saw     []map[int]bool // per token: what its writer had seen
	deltas  []inFlight
	created int
}

func (m *mvModel) expected(seen map[int]bool) []string {
	var out []string
	for w := range seen {
		superseded := false
		for o := range seen {
			if m.saw[o][w] {
				superseded = true
				break
			}
		}
		if !superseded {
			out = append(out, fmt.Sprint("w", w))
		}
	}
	slices.Sort(out)
	return out
}

func (m *mvModel) check(t *rapid.T, r *oracleReplica) {
	got := r.reg.Value()
	want := m.expected(r.seen)
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("replica %s holds %v, oracle says %v", r.name, got, want)
	}
	if r.reg.Len() != len(want) {
		t.Fatalf("replica %s has %d siblings for %d distinct tokens", r.name, r.reg.Len(), len(want))
	}
}

func roundTripMV(t *rapid.T, r *MV[string], replica crdt.ReplicaID) *MV[string] {
	data, err := payload.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := payload.UnmarshalAs[*MV[string]](data, replica)
	if err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	if again, _ := payload.Marshal(back); string(again) != string(data) {
		t.Fatalf("round trip changed %s into %s", data, again)
	}
	return back
}

func TestMVOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &mvModel{}
		m.live = []*oracleReplica{{name: "r0", id: SeedIdentity(), reg: NewMV[string]("r0"), seen: map[int]bool{}}}
		m.created = 1
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			n := len(m.live)
			i := rapid.IntRange(0, n-1).Draw(t, "i")
			r := m.live[i]
			switch op := rapid.SampledFrom([]string{"write", "write", "merge", "delta", "roundtrip", "fork", "retire"}).Draw(t, "op"); op {
			case "write":
				tok := len(m.saw)
				m.saw = append(m.saw, clone(r.seen))
				if err := r.reg.Set(r.id, fmt.Sprint("w", tok)); err != nil {
					t.Fatal(err)
				}
				r.seen[tok] = true
				d, ok := r.reg.TakeDelta()
				if !ok {
					t.Fatal("write recorded no delta")
				}
				m.deltas = append(m.deltas, inFlight{tok, d})
			case "merge":
				o := m.live[rapid.IntRange(0, n-1).Draw(t, "from")]
				if err := r.reg.Merge(o.reg); err != nil {
					t.Fatal(err)
				}
				for w := range o.seen {
					r.seen[w] = true
				}
			case "delta":
				if len(m.deltas) == 0 {
					continue
				}
				d := m.deltas[rapid.IntRange(0, len(m.deltas)-1).Draw(t, "delta")]
				if err := r.reg.Merge(d.delta); err != nil {
					t.Fatal(err)
				}
				r.seen[d.tok] = true
				for w := range m.saw[d.tok] {
					r.seen[w] = true
				}
			case "roundtrip":
				r.reg = roundTripMV(t, r.reg, crdt.ReplicaID(r.name))
			case "fork":
				if n >= 6 {
					continue
				}
				name := fmt.Sprint("r", m.created)
				m.created++
				// The new replica starts from a copy of the forking
				// replica's state, shipped as a payload.
				nr := &oracleReplica{name: name, id: r.id.Fork(), reg: roundTripMV(t, r.reg, crdt.ReplicaID(name)), seen: clone(r.seen)}
				m.live = append(m.live, nr)
				m.check(t, nr)
			case "retire":
				if n < 2 {
					continue
				}
				j := rapid.IntRange(0, n-2).Draw(t, "into")
				if j >= i {
					j++
				}
				into := m.live[j]
				if err := into.reg.Merge(r.reg); err != nil {
					t.Fatal(err)
				}
				for w := range r.seen {
					into.seen[w] = true
				}
				if err := r.id.Retire(into.id); err != nil {
					t.Fatal(err)
				}
				if !r.id.IsNull() {
					t.Fatal("retired identity still owns ids")
				}
				m.live = slices.Delete(m.live, i, i+1)
				r = into
			}
			m.check(t, r)
		}
		// The live identities partition the seed.
		acc := &Identity{}
		for _, r := range m.live {
			if err := NewIdentity(r.id.ID()).Retire(acc); err != nil {
				t.Fatalf("live identities overlap: %v", err)
			}
		}
		if !acc.ID().IsSeed() {
			t.Fatalf("live identities sum to %v, not the seed", acc)
		}
		// Convergence: merging every live state in any order gives one state,
		// whose value the oracle predicts.
		all := map[int]bool{}
		for _, r := range m.live {
			for w := range r.seen {
				all[w] = true
			}
		}
		var first string
		for k := range 2 {
			acc := NewMV[string]("acc")
			for _, r := range rapid.Permutation(m.live).Draw(t, fmt.Sprint("order", k)) {
				if err := acc.Merge(r.reg); err != nil {
					t.Fatal(err)
				}
			}
			p := mustPayload(t, acc)
			if k == 0 {
				first = p
				m.check(t, &oracleReplica{name: "acc", reg: acc, seen: all})
			} else if p != first {
				t.Fatalf("merge order matters:\n%s\n%s", first, p)
			}
		}
	})
}
