package counters_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
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

// genGCounter draws a counter with random counts for a few replicas.
func genGCounter(t *rapid.T, label string) *counters.GCounter {
	c := counters.NewGCounter("self")
	m := rapid.MapOfN(rapid.SampledFrom([]crdt.ReplicaID{"a", "b", "c", "d", "self"}), rapid.Uint64(), 0, 5).Draw(t, label)
	for r, k := range m {
		o := counters.NewGCounter(r)
		if err := o.Inc(k); err != nil {
			t.Fatal(err)
		}
		_ = c.Merge(o)
	}
	return c
}

func genPNCounter(t *rapid.T, label string) *counters.PNCounter {
	c := counters.NewPNCounter("self")
	for i := range rapid.IntRange(0, 6).Draw(t, label+" ops") {
		o := counters.NewPNCounter(rapid.SampledFrom([]crdt.ReplicaID{"a", "b", "c", "self"}).Draw(t, fmt.Sprint(label, i)))
		_ = o.Inc(rapid.Uint64().Draw(t, "p"))
		_ = o.Dec(rapid.Uint64().Draw(t, "n"))
		_ = c.Merge(o)
	}
	return c
}

// checkLaws checks the merge laws and the payload round trip on states drawn
// by gen.
func checkLaws[S crdt.CRDT[S, V], V comparable](t *testing.T, gen func(*rapid.T, string) S) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := gen(t, "a"), gen(t, "b"), gen(t, "c")
		pa, pb, pc := mustMarshal(t, a), mustMarshal(t, b), mustMarshal(t, c)
		ab, _ := crdt.Merge(a, b)
		ba, _ := crdt.Merge(b, a)
		if x, y := mustMarshal(t, ab), mustMarshal(t, ba); string(x) != string(y) {
			t.Fatalf("not commutative: %s vs %s", x, y)
		}
		abc1, _ := crdt.Merge(ab, c)
		bc, _ := crdt.Merge(b, c)
		abc2, _ := crdt.Merge(a, bc)
		if x, y := mustMarshal(t, abc1), mustMarshal(t, abc2); string(x) != string(y) {
			t.Fatalf("not associative: %s vs %s", x, y)
		}
		aa, _ := crdt.Merge(a, a)
		if x := mustMarshal(t, aa); string(x) != string(pa) {
			t.Fatalf("not idempotent: %s vs %s", x, pa)
		}
		// Inputs untouched.
		if string(mustMarshal(t, a)) != string(pa) || string(mustMarshal(t, b)) != string(pb) || string(mustMarshal(t, c)) != string(pc) {
			t.Fatal("merge changed an input")
		}
		// Round trip.
		back, err := payload.UnmarshalAs[S](pa, "self")
		if err != nil {
			t.Fatal(err)
		}
		if back.Value() != a.Value() || string(mustMarshal(t, back)) != string(pa) {
			t.Fatalf("round trip changed %s", pa)
		}
		// No aliasing: mutating the merge result leaves its sources alone.
		_ = ab.Merge(c)
		if string(mustMarshal(t, b)) != string(pb) {
			t.Fatal("merge result aliases its source")
		}
	})
}

func TestGCounterLaws(t *testing.T)  { checkLaws(t, genGCounter) }
func TestPNCounterLaws(t *testing.T) { checkLaws(t, genPNCounter) }
