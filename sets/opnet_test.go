package sets_test

import "pgregory.net/rapid"

// opNet is the network of replicas that the oracle tests of TwoPSet and
// LWWSet drive: each replica's state, the operations it knows, the
// operations in its pending delta, and the deltas in flight with the
// operations they carry.
type opNet[S interface {
	Merge(S) error
	TakeDelta() (S, bool)
}, O comparable] struct {
	reps     []S
	known    []map[O]bool
	pending  []map[O]bool
	inflight []opMsg[S, O]
}

type opMsg[S any, O comparable] struct {
	ops map[O]bool
	d   S
}

func newOpNet[S interface {
	Merge(S) error
	TakeDelta() (S, bool)
}, O comparable](reps []S) *opNet[S, O] {
	w := &opNet[S, O]{reps: reps, known: make([]map[O]bool, len(reps)), pending: make([]map[O]bool, len(reps))}
	for i := range reps {
		w.known[i], w.pending[i] = map[O]bool{}, map[O]bool{}
	}
	return w
}

// did records that replica r made operation o.
func (w *opNet[S, O]) did(r int, o O) { w.known[r][o], w.pending[r][o] = true, true }

// exchange performs on replica r one of the oracle tests' actions other than
// a local write: 0 merges the full state of a replica drawn from t, 1 takes
// r's delta and puts it in flight, 2 delivers a delta in flight, drawn from
// t, to r. The operations r knows follow.
func (w *opNet[S, O]) exchange(t *rapid.T, r, action int) {
	switch action {
	case 0:
		src := rapid.IntRange(0, len(w.reps)-1).Draw(t, "src")
		_ = w.reps[r].Merge(w.reps[src])
		for o := range w.known[src] {
			w.known[r][o] = true
		}
	case 1:
		if d, ok := w.reps[r].TakeDelta(); ok {
			w.inflight = append(w.inflight, opMsg[S, O]{w.pending[r], d})
		}
		w.pending[r] = map[O]bool{}
	case 2:
		if len(w.inflight) == 0 {
			return
		}
		m := w.inflight[rapid.IntRange(0, len(w.inflight)-1).Draw(t, "msg")]
		_ = w.reps[r].Merge(m.d)
		for o := range m.ops {
			w.known[r][o] = true
		}
	}
}
