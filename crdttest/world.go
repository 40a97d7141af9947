package crdttest

import (
	"bytes"
	"fmt"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// A world is one random history of a few replicas: local mutations, merges
// between replicas, restarts from a replica's own payload, and replicas that
// retire and are replaced by a newcomer bootstrapped from a peer's payload.
//
// Every state it yields is reachable, and all of them come from the same
// history, so any two may be merged: a replica id is never used by two
// live replicas. Laws that mutate a state and then merge it only mutate the
// live state of a slot (its genuine continuation); snapshots are only
// merged or mutated in isolation.
type world[S crdt.CRDT[S, V], V any] struct {
	c     *checker[S, V]
	ids   []crdt.ReplicaID // id of the live replica in each slot
	live  []S
	pool  []entry[S] // snapshots taken during the history, then the live states
	fresh int        // newcomers so far
}

type entry[S any] struct {
	id crdt.ReplicaID
	s  S
}

// maxSteps bounds the length of a generated history. rapid favours short
// histories and shrinks failures to the shortest it can find.
const maxSteps = 16

// history draws a random history and returns its world. The pool holds
// clones of the snapshots and of the live states at the end.
func (c *checker[S, V]) history(t *rapid.T) *world[S, V] {
	w := &world[S, V]{c: c}
	for i := range c.replicas {
		w.ids = append(w.ids, replicaID(i))
		w.live = append(w.live, c.spec.New(replicaID(i)))
	}
	steps := rapid.IntRange(0, maxSteps).Draw(t, "steps")
	for range steps {
		switch rapid.SampledFrom(historySteps).Draw(t, "step") {
		case "mutate":
			i := w.slot(t, "replica")
			c.spec.Mutate(t, w.ids[i], w.live[i])
		case "merge":
			i, j := w.pair(t)
			if err := w.live[i].Merge(w.live[j]); err != nil {
				t.Fatalf("%s.Merge(%s) in history: %v", w.ids[i], w.ids[j], err)
			}
		case "snapshot":
			i := w.slot(t, "replica")
			w.pool = append(w.pool, entry[S]{w.ids[i], w.live[i].Clone()})
		case "restart":
			i := w.slot(t, "replica")
			w.live[i] = c.reload(t, "restart", w.live[i], w.ids[i])
		case "join":
			i, j := w.pair(t)
			w.join(t, i, j)
		}
	}
	for i := range w.live {
		w.pool = append(w.pool, entry[S]{w.ids[i], w.live[i].Clone()})
	}
	return w
}

var historySteps = []string{"mutate", "mutate", "mutate", "mutate", "merge", "merge", "snapshot", "restart", "join"}

// join retires the replica in slot i and puts in its place a newcomer with a
// fresh id, bootstrapped from the payload of slot j.
func (w *world[S, V]) join(t *rapid.T, i, j int) {
	w.fresh++
	id := crdt.ReplicaID(fmt.Sprintf("n%d", w.fresh))
	w.ids[i] = id
	w.live[i] = w.c.reload(t, "join", w.live[j], id)
}

func (w *world[S, V]) slot(t *rapid.T, label string) int {
	return rapid.IntRange(0, len(w.live)-1).Draw(t, label)
}

// pair draws two distinct slots.
func (w *world[S, V]) pair(t *rapid.T) (int, int) {
	i := rapid.IntRange(0, len(w.live)-1).Draw(t, "into")
	j := rapid.IntRange(0, len(w.live)-2).Draw(t, "from")
	if j >= i {
		j++
	}
	return i, j
}

// pick draws a state from the pool; the caller gets a clone of its own.
func (w *world[S, V]) pick(t *rapid.T, label string) entry[S] {
	e := w.pool[rapid.IntRange(0, len(w.pool)-1).Draw(t, label)]
	return entry[S]{e.id, e.s.Clone()}
}

// reload encodes s and decodes it as a new state bound to id, checking that
// the payload survives.
func (c *checker[S, V]) reload(t *rapid.T, what string, s S, id crdt.ReplicaID) S {
	b := c.marshal(t, what, s)
	x, err := payload.Unmarshal(b, id)
	if err != nil {
		t.Fatalf("%s: payload.Unmarshal of %s: %v", what, clip(b), err)
	}
	xs, ok := x.(S)
	if !ok {
		t.Fatalf("%s: payload.Unmarshal returned %T, want %T", what, x, xs)
	}
	if b2 := c.marshal(t, what, xs); !bytes.Equal(b, b2) {
		t.Fatalf("%s: payload changed in a round trip:\n  before: %s\n  after:  %s", what, clip(b), clip(b2))
	}
	return xs
}

func (c *checker[S, V]) marshal(t *rapid.T, what string, s S) []byte {
	b, err := payload.Marshal(s)
	if err != nil {
		t.Fatalf("%s: payload.Marshal: %v", what, err)
	}
	return b
}

// merged returns a ⊔ b without changing a or b.
func (c *checker[S, V]) merged(t *rapid.T, what string, a, b S) S {
	m := a.Clone()
	if err := m.Merge(b); err != nil {
		t.Fatalf("%s: Merge: %v", what, err)
	}
	return m
}

// same fails t unless x and y have identical payloads and equal values.
func (c *checker[S, V]) same(t *rapid.T, what string, x, y S) {
	bx, by := c.marshal(t, what, x), c.marshal(t, what, y)
	if !bytes.Equal(bx, by) {
		t.Fatalf("%s: payloads differ:\n  left:  %s\n  right: %s", what, clip(bx), clip(by))
	}
	if vx, vy := x.Value(), y.Value(); !c.equal(vx, vy) {
		t.Fatalf("%s: identical payloads %s but values differ:\n  left:  %#v\n  right: %#v", what, clip(bx), vx, vy)
	}
}

// unchanged fails t if s's payload is no longer before.
func (c *checker[S, V]) unchanged(t *rapid.T, what string, s S, before []byte) {
	if after := c.marshal(t, what, s); !bytes.Equal(before, after) {
		t.Fatalf("%s:\n  before: %s\n  after:  %s", what, clip(before), clip(after))
	}
}

// mutations applies between min and max random mutations to s as id.
func (c *checker[S, V]) mutations(t *rapid.T, label string, id crdt.ReplicaID, s S, min, max int) {
	n := rapid.IntRange(min, max).Draw(t, label)
	for range n {
		c.spec.Mutate(t, id, s)
	}
}
