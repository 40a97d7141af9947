package counters_test

import (
	"errors"
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
)

// opLog is an independent oracle for a PN counter: every increment and
// decrement is an operation with a unique id; a replica knows a set of
// operations, merging is set union, and the value is the signed sum of the
// operations known. It knows nothing of per-replica maxima.
type opLog struct {
	amount map[int]int64  // op id -> signed amount
	origin map[int]int    // op id -> replica index
	known  []map[int]bool // replica index -> op ids known
	next   int
}

func newOpLog(replicas int) *opLog {
	l := &opLog{amount: map[int]int64{}, origin: map[int]int{}}
	for range replicas {
		l.known = append(l.known, map[int]bool{})
	}
	return l
}

func (l *opLog) do(r int, amount int64) {
	l.amount[l.next], l.origin[l.next] = amount, r
	l.known[r][l.next] = true
	l.next++
}

func (l *opLog) learnAll(dst, src int) {
	for id := range l.known[src] {
		l.known[dst][id] = true
	}
}

// learnOwn models a counter delta: the absolute count of src's own
// increments (pos) or decrements (neg) as of op id upTo.
func (l *opLog) learnOwn(dst, src int, upTo int, pos, neg bool) {
	for id, o := range l.origin {
		if o == src && id < upTo && (pos && l.amount[id] > 0 || neg && l.amount[id] < 0) {
			l.known[dst][id] = true
		}
	}
}

func (l *opLog) value(r int) int64 {
	var v int64
	for id := range l.known[r] {
		v += l.amount[id]
	}
	return v
}

type pendingDelta struct {
	from, upTo int
	pos, neg   bool // which parts the delta carries
	d          *counters.PNCounter
}

func TestPNCounterMatchesOpLog(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const n = 3
		ids := []crdt.ReplicaID{"r0", "r1", "r2"}
		cs := make([]*counters.PNCounter, n)
		for i := range cs {
			cs[i] = counters.NewPNCounter(ids[i])
		}
		log := newOpLog(n)
		var inflight []pendingDelta
		touchedP, touchedN := make([]bool, n), make([]bool, n)
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			r := rapid.IntRange(0, n-1).Draw(t, "replica")
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				k := rapid.Uint64Range(0, 1000).Draw(t, "inc")
				if err := cs[r].Inc(k); err != nil {
					t.Fatal(err)
				}
				if k > 0 {
					log.do(r, int64(k))
					touchedP[r] = true
				}
			case 1:
				k := rapid.Uint64Range(0, 1000).Draw(t, "dec")
				if err := cs[r].Dec(k); err != nil {
					t.Fatal(err)
				}
				if k > 0 {
					log.do(r, -int64(k))
					touchedN[r] = true
				}
			case 2:
				src := rapid.IntRange(0, n-1).Draw(t, "src")
				if err := cs[r].Merge(cs[src]); err != nil {
					t.Fatal(err)
				}
				log.learnAll(r, src)
			case 3:
				if d, ok := cs[r].TakeDelta(); ok {
					inflight = append(inflight, pendingDelta{from: r, upTo: log.next, pos: touchedP[r], neg: touchedN[r], d: d})
				} else if touchedP[r] || touchedN[r] {
					t.Fatalf("replica %d mutated but has no delta", r)
				}
				touchedP[r], touchedN[r] = false, false
			case 4:
				if len(inflight) == 0 {
					continue
				}
				i := rapid.IntRange(0, len(inflight)-1).Draw(t, "delta")
				p := inflight[i]
				if !rapid.Bool().Draw(t, "keep for a duplicate") {
					inflight = append(inflight[:i], inflight[i+1:]...)
				}
				if err := cs[r].Merge(p.d); err != nil {
					t.Fatal(err)
				}
				log.learnOwn(r, p.from, p.upTo, p.pos, p.neg)
			}
			for i := range cs {
				if got, want := cs[i].Value(), log.value(i); got != want {
					t.Fatalf("replica %d: value %d, oracle %d", i, got, want)
				}
			}
		}
		// Full exchange: everyone converges on the oracle's total.
		for i := range cs {
			for j := range cs {
				_ = cs[i].Merge(cs[j])
			}
		}
		for i := range cs {
			_ = cs[i].Merge(cs[n-1])
		}
		var total int64
		for _, a := range log.amount {
			total += a
		}
		want := mustMarshal(t, cs[0])
		for i := range cs {
			if cs[i].Value() != total {
				t.Fatalf("replica %d: value %d after full exchange, want %d", i, cs[i].Value(), total)
			}
			if got := mustMarshal(t, cs[i]); string(got) != string(want) {
				t.Fatalf("replica %d payload %s, replica 0 %s", i, got, want)
			}
		}
	})
}

func TestGCounterLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*counters.GCounter, uint64]{
		New: func(r crdt.ReplicaID) *counters.GCounter { return counters.NewGCounter(r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *counters.GCounter) {
			// Mostly small steps, sometimes a huge one so that sums pass
			// 2^64-1 and Value saturates; an overflowing Inc must fail
			// without a trace.
			n := rapid.OneOf(rapid.Uint64Range(0, 10), rapid.Just(uint64(math.MaxUint64/2))).Draw(t, "n")
			if err := s.Inc(n); err != nil && !errors.Is(err, counters.ErrOverflow) {
				t.Fatal(err)
			}
		},
	})
}

func TestPNCounterLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*counters.PNCounter, int64]{
		New: func(r crdt.ReplicaID) *counters.PNCounter { return counters.NewPNCounter(r) },
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *counters.PNCounter) {
			n := rapid.OneOf(rapid.Uint64Range(0, 10), rapid.Just(uint64(math.MaxUint64/3))).Draw(t, "n")
			op := s.Inc
			if rapid.Bool().Draw(t, "dec") {
				op = s.Dec
			}
			if err := op(n); err != nil && !errors.Is(err, counters.ErrOverflow) {
				t.Fatal(err)
			}
		},
	})
}
