package replicate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/sets"
)

// friendship is the Friendship design of examples/friendship: two
// last-writer-wins sets sharing a clock, composed by compound.Struct.
type friendship struct {
	Followers *sets.LWWSet[string] `crdt:"followers"`
	Following *sets.LWWSet[string] `crdt:"following"`
}

var friendshipType = compound.MustRegisterStruct("replicatetest.Friendship", func(r crdt.ReplicaID) friendship {
	c := crdt.NewClock(r, nil)
	return friendship{Followers: sets.NewLWWSetWithClock[string](c), Following: sets.NewLWWSetWithClock[string](c)}
})

type (
	orset  = sets.ORSet[string]
	lww    = registers.LWW[string]
	friend = compound.Struct[friendship]
)

// mixedKeys returns n keys, a quarter each of PN counters, OR-sets, LWW
// registers and Friendships; the prefix says which.
func mixedKeys(n int) []string {
	kinds := []string{"pn", "orset", "lww", "friend"}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s/%03d", kinds[i%len(kinds)], i)
	}
	return keys
}

func kindOf(key string) string {
	for i, c := range key {
		if c == '/' {
			return key[:i]
		}
	}
	return key
}

// oracle is what the writes of a mixedWrites run imply, computed
// independently of the CRDTs.
type oracle struct {
	mu sync.Mutex
	// pn: the sum of the increments and decrements per key.
	pn map[string]int64
	// For elements private to one node (its name in the element), that
	// node's last operation decides: present after an add, absent after a
	// remove. Keyed by key, then element. For Friendships the element is
	// prefixed with the field.
	local map[string]map[string]bool
	// Shared OR-set elements, touched by every node concurrently: which were
	// ever added and which ever removed, anywhere.
	added, removed map[string]map[string]bool
	// lww: every write with its timestamp; the largest timestamp wins.
	lww map[string][]lwwWrite
}

type lwwWrite struct {
	ts    crdt.Timestamp
	value string
}

func newOracle() *oracle {
	return &oracle{pn: map[string]int64{}, local: map[string]map[string]bool{},
		added: map[string]map[string]bool{}, removed: map[string]map[string]bool{}, lww: map[string][]lwwWrite{}}
}

func mark(m map[string]map[string]bool, key, elem string, v bool) {
	if m[key] == nil {
		m[key] = map[string]bool{}
	}
	m[key][elem] = v
}

// mixedWrites has every node apply ops random mutations of random keys
// concurrently, recording what they imply in o.
func mixedWrites(t *testing.T, nodes []*replicate.Node, keys []string, ops int, seed uint64, o *oracle) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			me := n.Name()
			for op := range ops {
				key := keys[rng.IntN(len(keys))]
				var err error
				switch kindOf(key) {
				case "pn":
					d := uint64(rng.IntN(5)) + 1
					up := rng.IntN(3) > 0
					err = replicate.Update(ctx, n, key, counters.NewPNCounter, func(c *counters.PNCounter) error {
						if up {
							return c.Inc(d)
						}
						return c.Dec(d)
					})
					if err == nil {
						o.mu.Lock()
						if up {
							o.pn[key] += int64(d)
						} else {
							o.pn[key] -= int64(d)
						}
						o.mu.Unlock()
					}
				case "orset":
					shared := rng.IntN(2) == 0
					elem := fmt.Sprintf("%s-e%d", me, rng.IntN(4))
					if shared {
						elem = fmt.Sprintf("shared-e%d", rng.IntN(3))
					}
					add := rng.IntN(3) > 0
					err = replicate.Update(ctx, n, key, sets.NewORSet[string], func(s *orset) error {
						if add {
							return s.Add(elem)
						}
						s.Remove(elem)
						return nil
					})
					if err == nil {
						o.mu.Lock()
						if shared {
							if add {
								mark(o.added, key, elem, true)
							} else {
								mark(o.removed, key, elem, true)
							}
						} else {
							mark(o.local, key, elem, add)
						}
						o.mu.Unlock()
					}
				case "lww":
					v := fmt.Sprintf("%s#%d", me, op)
					var ts crdt.Timestamp
					err = replicate.Update(ctx, n, key, registers.NewLWW[string], func(r *lww) error {
						if err := r.Set(v); err != nil {
							return err
						}
						ts = r.Timestamp()
						return nil
					})
					if err == nil {
						o.mu.Lock()
						o.lww[key] = append(o.lww[key], lwwWrite{ts: ts, value: v})
						o.mu.Unlock()
					}
				case "friend":
					field := "followers"
					if rng.IntN(2) == 0 {
						field = "following"
					}
					elem := fmt.Sprintf("%s-u%d", me, rng.IntN(3))
					add := rng.IntN(3) > 0
					err = replicate.Update(ctx, n, key, friendshipType.New, func(f *friend) error {
						s := f.Fields().Followers
						if field == "following" {
							s = f.Fields().Following
						}
						if add {
							return s.Add(elem)
						}
						return s.Remove(elem)
					})
					if err == nil {
						o.mu.Lock()
						mark(o.local, key, field+":"+elem, add)
						o.mu.Unlock()
					}
				}
				if !assert.NoError(t, err, "%s: %s", me, key) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// check verifies that every node holds identical payloads for every key
// the oracle knows, and the values the oracle implies.
func (o *oracle) check(t *testing.T, nodes []*replicate.Node, keys []string) {
	t.Helper()
	for _, key := range keys {
		var want []byte
		for _, n := range nodes {
			s, ok := n.Get(key)
			if !ok {
				assert.Empty(t, o.lww[key], "%s lacks %s", n.Name(), key)
				continue
			}
			p, err := payload.Marshal(s)
			require.NoError(t, err)
			if want == nil {
				want = p
			} else {
				assert.Equal(t, string(want), string(p), "%s: %s differs", n.Name(), key)
			}
		}
		n := nodes[0]
		switch kindOf(key) {
		case "pn":
			if c, ok := replicate.GetAs[*counters.PNCounter](n, key); ok {
				assert.Equal(t, o.pn[key], c.Value(), key)
			}
		case "orset":
			s, ok := replicate.GetAs[*orset](n, key)
			if !ok {
				continue
			}
			got := s.Elements()
			for e, present := range o.local[key] {
				assert.Equal(t, present, slices.Contains(got, e), "%s: node-private %s", key, e)
			}
			for e := range o.added[key] {
				if !o.removed[key][e] {
					assert.Contains(t, got, e, "%s: %s was added and never removed", key, e)
				}
			}
			for _, e := range got {
				_, local := o.local[key][e]
				assert.True(t, local || o.added[key][e], "%s: %s was never added", key, e)
			}
		case "lww":
			r, ok := replicate.GetAs[*lww](n, key)
			if !ok {
				continue
			}
			ws := o.lww[key]
			require.NotEmpty(t, ws, key)
			last := slices.MaxFunc(ws, func(a, b lwwWrite) int { return a.ts.Compare(b.ts) })
			got, _ := r.Get()
			assert.Equal(t, last.value, got, "%s: the write with the largest timestamp wins", key)
		case "friend":
			f, ok := replicate.GetAs[*friend](n, key)
			if !ok {
				continue
			}
			for e, present := range o.local[key] {
				field, elem, _ := cut(e)
				s := f.Fields().Followers
				if field == "following" {
					s = f.Fields().Following
				}
				assert.Equal(t, present, s.Contains(elem), "%s: %s", key, e)
			}
		}
	}
}

func cut(s string) (string, string, bool) {
	for i, c := range s {
		if c == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
