package compound

import (
	"fmt"
	"testing"
	"time"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func benchKey(i int) string { return fmt.Sprintf("key%07d", i) }

// filledPNMap returns a map bound to replica with n keys, each a PN counter
// incremented once, and no pending delta.
func filledPNMap(b *testing.B, replica crdt.ReplicaID, n, offset int) *pnMap {
	b.Helper()
	m := newPNMap(replica)
	for i := range n {
		if err := m.Update(benchKey(offset+i), inc(1)); err != nil {
			b.Fatal(err)
		}
	}
	m.TakeDelta()
	return m
}

var sizes = []int{1_000, 10_000, 100_000}

// cpuMeter adds the process CPU time spent between start and stop; report
// turns it into the metric cpu-ns/op.
type cpuMeter struct {
	total time.Duration
	at    time.Duration
	ok    bool
}

func (c *cpuMeter) start() { c.at, c.ok = processCPU() }

func (c *cpuMeter) stop() {
	if now, ok := processCPU(); ok && c.ok {
		c.total += now - c.at
	}
}

func (c *cpuMeter) report(b *testing.B) {
	if c.ok && b.N > 0 {
		b.ReportMetric(float64(c.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMapUpdate updates one key of a map of n keys and takes the delta,
// as a replicating application does after each write. The time per op stays
// flat from 1k to 100k keys: the update costs O(1) map operations plus one
// value copy. delta-B is the size of the delta's payload.
func BenchmarkMapUpdate(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			m := filledPNMap(b, "a", n, 0)
			var cpu cpuMeter
			b.ReportAllocs()
			b.ResetTimer()
			cpu.start()
			for i := 0; i < b.N; i++ {
				if err := m.Update(benchKey(i%n), inc(1)); err != nil {
					b.Fatal(err)
				}
				m.TakeDelta()
			}
			cpu.stop()
			b.StopTimer()
			cpu.report(b)
			if err := m.Update(benchKey(n/2), inc(1)); err != nil {
				b.Fatal(err)
			}
			d, _ := m.TakeDelta()
			p, err := payload.Marshal(d)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(p)), "delta-B")
		})
	}
}

// BenchmarkMapApplyDelta merges the delta of one update (made on another
// replica) into a map of n keys: O(size of the delta), not O(n).
func BenchmarkMapApplyDelta(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			a := filledPNMap(b, "a", n, 0)
			r := a.Clone()
			deltas := make([]*pnMap, 0, 1024)
			for i := range cap(deltas) {
				if err := a.Update(benchKey((i*7919)%n), inc(1)); err != nil {
					b.Fatal(err)
				}
				d, _ := a.TakeDelta()
				deltas = append(deltas, d)
			}
			var cpu cpuMeter
			b.ReportAllocs()
			b.ResetTimer()
			cpu.start()
			for i := 0; i < b.N; i++ {
				// Re-merging a delta already seen is the idempotent case;
				// the first len(deltas) iterations apply new ones.
				if err := r.Merge(deltas[i%len(deltas)]); err != nil {
					b.Fatal(err)
				}
			}
			cpu.stop()
			cpu.report(b)
		})
	}
}

// BenchmarkMapMerge10k merges two 10k-key maps of PN counters into a copy of
// the first (the copy is made outside the timer):
//   - disjoint: the maps have no key in common (10k values copied);
//   - diverged: both started from the same 10k keys, then each replica
//     updated 1,000 keys (500 of them the same keys) and removed 100.
func BenchmarkMapMerge10k(b *testing.B) {
	const n = 10_000
	b.Run("disjoint", func(b *testing.B) {
		x := filledPNMap(b, "a", n, 0)
		y := filledPNMap(b, "b", n, n)
		benchMerge(b, x, y)
	})
	b.Run("diverged", func(b *testing.B) {
		x := filledPNMap(b, "a", n, 0)
		y := newPNMap("b")
		if err := y.Merge(x); err != nil {
			b.Fatal(err)
		}
		for i := range 1000 {
			if err := x.Update(benchKey(i), inc(1)); err != nil {
				b.Fatal(err)
			}
			if err := y.Update(benchKey(500+i), inc(2)); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 100 {
			x.Remove(benchKey(2000 + i))
			y.Remove(benchKey(3000 + i))
		}
		benchMerge(b, x, y)
	})
}

func benchMerge(b *testing.B, x, y *pnMap) {
	var cpu cpuMeter
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := x.Clone()
		b.StartTimer()
		cpu.start()
		if err := c.Merge(y); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
	}
	cpu.report(b)
}
