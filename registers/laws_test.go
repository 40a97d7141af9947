package registers_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/registers"
)

// slowTime is a wall clock shared by the replicas of the LWW law check that
// advances one nanosecond every third reading, so that replicas often write
// in the same nanosecond and the logical counter and the replica id have to
// order their writes.
var slowTime atomic.Int64

func slowNow() time.Time { return time.Unix(0, slowTime.Add(1)/3) }

func TestLWWLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*registers.LWW[string], string]{
		New: func(r crdt.ReplicaID) *registers.LWW[string] {
			return registers.NewLWWWithClock[string](crdt.NewClock(r, slowNow))
		},
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *registers.LWW[string]) {
			if err := s.Set(rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "v")); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestLWWLawsStructValue(t *testing.T) {
	type point struct {
		X    int      `json:"x"`
		Tags []string `json:"tags"`
	}
	registers.RegisterLWW[point]()
	crdttest.Check(t, crdttest.Spec[*registers.LWW[point], point]{
		New: func(r crdt.ReplicaID) *registers.LWW[point] {
			return registers.NewLWWWithClock[point](crdt.NewClock(r, slowNow))
		},
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *registers.LWW[point]) {
			p := point{X: rapid.IntRange(0, 2).Draw(t, "x")}
			if rapid.Bool().Draw(t, "tags") {
				p.Tags = []string{"t"}
			}
			if err := s.Set(p); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// identities hands every replica id of a law check its own Identity. All of
// them are forked, before any write, from one seed, so no two overlap; the
// law checker's states are fresh in every case, so an identity never meets
// events that were recorded with its part of the id space by someone else.
type identities struct {
	mu    sync.Mutex
	spare *registers.Identity
	byID  map[crdt.ReplicaID]*registers.Identity
}

func (ids *identities) of(r crdt.ReplicaID) *registers.Identity {
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

func TestMVLaws(t *testing.T) {
	var ids identities
	crdttest.Check(t, crdttest.Spec[*registers.MV[string], []string]{
		New: func(r crdt.ReplicaID) *registers.MV[string] { return registers.NewMV[string](r) },
		Mutate: func(t *rapid.T, r crdt.ReplicaID, s *registers.MV[string]) {
			id := ids.of(r)
			var err error
			if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				err = s.Resolve(id, func(vs []string) string { return strings.Join(vs, "+") })
			} else {
				err = s.Set(id, rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "v"))
			}
			if err != nil {
				t.Fatal(err)
			}
		},
		Replicas: 4,
	})
}

func TestMVLawsSliceValue(t *testing.T) {
	var ids identities
	registers.RegisterMV[[]int]()
	crdttest.Check(t, crdttest.Spec[*registers.MV[[]int], [][]int]{
		New: func(r crdt.ReplicaID) *registers.MV[[]int] { return registers.NewMV[[]int](r) },
		Mutate: func(t *rapid.T, r crdt.ReplicaID, s *registers.MV[[]int]) {
			v := rapid.SliceOfN(rapid.IntRange(0, 2), 0, 2).Draw(t, "v")
			if err := s.Set(ids.of(r), v); err != nil {
				t.Fatal(err)
			}
		},
		Equal: func(a, b [][]int) bool {
			return slices.EqualFunc(a, b, func(x, y []int) bool { return fmt.Sprint(x) == fmt.Sprint(y) })
		},
	})
}
