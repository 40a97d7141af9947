package crdttest

import (
	"fmt"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// message is a delta or a full state in flight to one replica, either as an
// object (shared by every receiver of one broadcast: merges must not change
// it) or as payload bytes.
type message[S any] struct {
	to    int
	state S
	data  []byte // payload bytes; used instead of state when not nil
	kind  string
}

const maxNetworkSteps = 30

var networkSteps = []string{"mutate", "mutate", "mutate", "deliver", "deliver", "deliver", "duplicate", "drop", "send state", "restart", "join"}

func (c *checker[S, V]) lawConvergence(t *rapid.T) {
	n := c.replicas
	ids := make([]crdt.ReplicaID, n)
	states := make([]S, n)
	for i := range n {
		ids[i] = replicaID(i)
		states[i] = c.spec.New(ids[i])
	}
	var queue []message[S]
	joined := 0

	send := func(from int, s S, kind string) {
		asPayload := rapid.Bool().Draw(t, "as payload")
		var data []byte
		if asPayload {
			data = c.marshal(t, kind, s)
		}
		for to := range n {
			if to != from && rapid.Bool().Draw(t, fmt.Sprintf("to %s", ids[to])) {
				queue = append(queue, message[S]{to: to, state: s, data: data, kind: kind})
			}
		}
	}
	deliver := func(m message[S]) {
		s := m.state
		if m.data != nil {
			x, err := payload.UnmarshalAs[S](m.data, ids[m.to])
			if err != nil {
				t.Fatalf("decoding a %s for %s: %v", m.kind, ids[m.to], err)
			}
			s = x
		}
		if err := states[m.to].Merge(s); err != nil {
			t.Fatalf("%s merging a %s: %v", ids[m.to], m.kind, err)
		}
	}

	steps := rapid.IntRange(0, maxNetworkSteps).Draw(t, "steps")
	for range steps {
		step := rapid.SampledFrom(networkSteps).Draw(t, "step")
		switch {
		case step == "mutate":
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			c.spec.Mutate(t, ids[i], states[i])
			if rapid.Bool().Draw(t, "ship delta") {
				if d, ok := states[i].TakeDelta(); ok {
					send(i, d, "delta")
				}
			}
		case step == "send state":
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			send(i, states[i].Clone(), "state")
		case step == "join":
			// A replica retires (whatever it had not shipped is lost) and a
			// newcomer with a fresh id takes its place, starting from a
			// peer's payload.
			i := rapid.IntRange(0, n-1).Draw(t, "retiring")
			j := rapid.IntRange(0, n-2).Draw(t, "peer")
			if j >= i {
				j++
			}
			joined++
			ids[i] = crdt.ReplicaID(fmt.Sprintf("n%d", joined))
			states[i] = c.reload(t, "join", states[j], ids[i])
		case step == "restart":
			// A restart loses the pending delta; the final exchange makes
			// up for it, as anti-entropy would.
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			states[i] = c.reload(t, "restart", states[i], ids[i])
		case len(queue) == 0:
		case step == "deliver", step == "duplicate":
			k := rapid.IntRange(0, len(queue)-1).Draw(t, "message")
			m := queue[k]
			if step == "deliver" {
				queue = append(queue[:k], queue[k+1:]...)
			}
			deliver(m)
		case step == "drop":
			k := rapid.IntRange(0, len(queue)-1).Draw(t, "message")
			queue = append(queue[:k], queue[k+1:]...)
		}
	}
	// Some messages are still in flight; deliver a few of them late.
	for _, m := range queue {
		if rapid.Bool().Draw(t, "late delivery") {
			deliver(m)
		}
	}

	// Final full-state exchange: everyone merges everyone's state, each in
	// its own order.
	snaps := make([]S, n)
	idx := make([]int, n)
	for i := range n {
		snaps[i] = states[i].Clone()
		idx[i] = i
	}
	for i := range n {
		for _, j := range rapid.Permutation(idx).Draw(t, fmt.Sprintf("merge order of %s", ids[i])) {
			if err := states[i].Merge(snaps[j]); err != nil {
				t.Fatalf("%s merging the state of %s: %v", ids[i], ids[j], err)
			}
		}
	}
	for i := 1; i < n; i++ {
		c.same(t, fmt.Sprintf("after the final exchange %s == %s", ids[0], ids[i]), states[0], states[i])
	}
	ref := c.spec.New("ref")
	for _, j := range rapid.Permutation(idx).Draw(t, "reference merge order") {
		if err := ref.Merge(snaps[j]); err != nil {
			t.Fatalf("merging the state of %s into a reference: %v", ids[j], err)
		}
	}
	c.same(t, fmt.Sprintf("%s == the merge of all final states", ids[0]), states[0], ref)
}

var deltaNetworkSteps = []string{"mutate", "mutate", "mutate", "deliver", "deliver", "duplicate", "restart"}

// lawDeltaConvergence ships nothing but deltas, every one of them to every
// peer, in any order and any number of times, and no message is lost: then
// replicas converge without any full-state exchange, since each state is the
// join of the deltas of the mutations it has seen. This is stricter than
// lawConvergence, whose final exchange repairs what a delta got wrong at a
// receiver that had not seen what its sender had (a remove arriving before
// the add it removes, for example).
func (c *checker[S, V]) lawDeltaConvergence(t *rapid.T) {
	n := c.replicas
	ids := make([]crdt.ReplicaID, n)
	states := make([]S, n)
	for i := range n {
		ids[i] = replicaID(i)
		states[i] = c.spec.New(ids[i])
	}
	var queue []message[S]
	ship := func(from int) {
		d, ok := states[from].TakeDelta()
		if !ok {
			return
		}
		var data []byte
		if rapid.Bool().Draw(t, "as payload") {
			data = c.marshal(t, "delta", d)
		}
		for to := range n {
			if to != from {
				queue = append(queue, message[S]{to: to, state: d, data: data, kind: "delta"})
			}
		}
	}
	deliver := func(m message[S]) {
		s := m.state
		if m.data != nil {
			x, err := payload.UnmarshalAs[S](m.data, ids[m.to])
			if err != nil {
				t.Fatalf("decoding a delta for %s: %v", ids[m.to], err)
			}
			s = x
		}
		if err := states[m.to].Merge(s); err != nil {
			t.Fatalf("%s merging a delta: %v", ids[m.to], err)
		}
	}

	steps := rapid.IntRange(0, maxNetworkSteps).Draw(t, "steps")
	for range steps {
		step := rapid.SampledFrom(deltaNetworkSteps).Draw(t, "step")
		switch {
		case step == "mutate":
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			c.spec.Mutate(t, ids[i], states[i])
			if rapid.Bool().Draw(t, "ship now") {
				ship(i)
			}
		case step == "restart":
			// Ship what is pending first: a restart loses it otherwise.
			i := rapid.IntRange(0, n-1).Draw(t, "replica")
			ship(i)
			states[i] = c.reload(t, "restart", states[i], ids[i])
		case len(queue) == 0:
		default:
			k := rapid.IntRange(0, len(queue)-1).Draw(t, "message")
			m := queue[k]
			if step == "deliver" {
				queue = append(queue[:k], queue[k+1:]...)
			}
			deliver(m)
		}
	}
	for i := range n {
		ship(i)
	}
	// Deliver everything left, in an order drawn at random.
	idx := make([]int, len(queue))
	for k := range idx {
		idx[k] = k
	}
	for _, k := range rapid.Permutation(idx).Draw(t, "delivery order") {
		deliver(queue[k])
	}
	for i := 1; i < n; i++ {
		c.same(t, fmt.Sprintf("after delivering every delta %s == %s", ids[0], ids[i]), states[0], states[i])
	}
	ref := c.spec.New("ref")
	for i := range n {
		if err := ref.Merge(states[i]); err != nil {
			t.Fatalf("merging the state of %s into a reference: %v", ids[i], err)
		}
	}
	c.same(t, fmt.Sprintf("%s == the merge of all states", ids[0]), states[0], ref)
}
