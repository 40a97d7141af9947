package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
)

// SetSize is the number of elements of the ORSet in [Bench].
const SetSize = 1000

// Bench measures merge-writes on the backends h makes, with 1 and [Writers]
// concurrent writers (goroutines, each with its own replica and Store):
//
//   - PNCounter: each merge-write merges the delta of one increment into a
//     shared counter;
//   - ORSet1k: the record is an ORSet[string] of [SetSize] elements and each
//     merge-write merges the delta of re-adding one of them (so the set stays
//     at SetSize elements and every write decodes and encodes all of them).
//
// It reports merges/s (all writers together) and retries/op, the
// conflict-retry rate of optimistic backends.
func Bench(b *testing.B, h Harness) {
	for _, w := range []int{1, Writers} {
		b.Run(fmt.Sprintf("PNCounter/writers=%d", w), func(b *testing.B) {
			runBench(b, h, w, nil, func(st *store.Store) func() (crdt.State, error) {
				c := counters.NewPNCounter(st.Replica())
				return func() (crdt.State, error) {
					if err := c.Inc(1); err != nil {
						return nil, err
					}
					d, _ := c.TakeDelta()
					return d, nil
				}
			})
		})
	}
	elems := make([]string, SetSize)
	seed := sets.NewORSet[string]("seed")
	for i := range elems {
		elems[i] = fmt.Sprintf("element-%04d", i)
		if err := seed.Add(elems[i]); err != nil {
			b.Fatal(err)
		}
	}
	seed.TakeDelta()
	for _, w := range []int{1, Writers} {
		b.Run(fmt.Sprintf("ORSet1k/writers=%d", w), func(b *testing.B) {
			var n atomic.Int64
			runBench(b, h, w, seed, func(st *store.Store) func() (crdt.State, error) {
				local, err := store.GetAs[*sets.ORSet[string]](context.Background(), st, "bench")
				if err != nil {
					b.Fatal(err)
				}
				return func() (crdt.State, error) {
					if err := local.Add(elems[int(n.Add(1))%SetSize]); err != nil {
						return nil, err
					}
					d, _ := local.TakeDelta()
					return d, nil
				}
			})
		})
	}
}

// runBench splits b.N merge-writes of key "bench" among writers; gen makes
// each writer's delta source.
func runBench(b *testing.B, h Harness, writers int, seed crdt.State, gen func(*store.Store) func() (crdt.State, error)) {
	be, _ := open(b, h)
	ctx := context.Background()
	if seed != nil {
		st := newStore(b, be, "seed")
		if err := st.MergeWrite(ctx, "bench", seed); err != nil {
			b.Fatal(err)
		}
	}
	stores := make([]*store.Store, writers)
	sources := make([]func() (crdt.State, error), writers)
	for w := range writers {
		stores[w] = newStore(b, be, replicaName(w))
		sources[w] = gen(stores[w])
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	b.ResetTimer()
	for w := range writers {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				d, err := sources[w]()
				if err == nil {
					err = stores[w].MergeWrite(ctx, "bench", d)
				}
				if err != nil {
					errMu.Lock()
					first = err
					errMu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if first != nil {
		b.Fatal(first)
	}
	var retries uint64
	for _, st := range stores {
		retries += st.Stats().Retries
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "merges/s")
	b.ReportMetric(float64(retries)/float64(b.N), "retries/op")
}
