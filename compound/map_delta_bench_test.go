package compound

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkMapDeltaMerge merges into an n-key map of PN-counters the delta of
// one update of a new key, or of one remove of a present key, made by
// another replica (issue 9: at most 2x from 1k to 1M keys). Deltas are made,
// and undone, with the timer stopped, so the map keeps its size.
func BenchmarkMapDeltaMerge(b *testing.B) {
	type pair struct{ a, o *pnMap }
	pairs := map[int]*pair{}
	seq := 0
	get := func(b *testing.B, n int) *pair {
		if p, ok := pairs[n]; ok {
			return p
		}
		p := &pair{a: newPNMap("replica-a"), o: newPNMap("replica-b")}
		for i := range n {
			if err := p.a.Update(fmt.Sprintf("key-%07d", i), inc(1)); err != nil {
				b.Fatal(err)
			}
		}
		p.a.TakeDelta()
		if err := p.o.Merge(p.a); err != nil {
			b.Fatal(err)
		}
		pairs[n] = p
		return p
	}
	takeDelta := func(m *pnMap) *pnMap {
		d, ok := m.TakeDelta()
		if !ok {
			b.Fatal("no delta")
		}
		return d
	}
	run := func(b *testing.B, dst *pnMap, prepare func() (merge, undo *pnMap)) {
		b.ReportAllocs()
		var cpu time.Duration
		for done := 0; done < b.N; {
			k := min(1000, b.N-done)
			b.StopTimer()
			var merges, undos []*pnMap
			for range k {
				m, u := prepare()
				merges = append(merges, m)
				if u != nil {
					undos = append(undos, u)
				}
			}
			b.StartTimer()
			c0, _ := processCPU()
			for _, d := range merges {
				if err := dst.Merge(d); err != nil {
					b.Fatal(err)
				}
			}
			c1, _ := processCPU()
			cpu += c1 - c0
			b.StopTimer()
			for _, d := range undos {
				if err := dst.Merge(d); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			done += k
		}
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("op=update/n=%d", n), func(b *testing.B) {
			p := get(b, n)
			run(b, p.a, func() (*pnMap, *pnMap) {
				seq++
				k := fmt.Sprintf("fresh-%08d", seq)
				if err := p.o.Update(k, inc(1)); err != nil {
					b.Fatal(err)
				}
				m := takeDelta(p.o)
				p.o.Remove(k)
				return m, takeDelta(p.o)
			})
		})
		b.Run(fmt.Sprintf("op=remove/n=%d", n), func(b *testing.B) {
			p := get(b, n)
			run(b, p.a, func() (*pnMap, *pnMap) {
				seq++
				k := fmt.Sprintf("fresh-%08d", seq)
				if err := p.o.Update(k, inc(1)); err != nil {
					b.Fatal(err)
				}
				if err := p.a.Merge(takeDelta(p.o)); err != nil {
					b.Fatal(err)
				}
				p.o.Remove(k)
				return takeDelta(p.o), nil
			})
		})
	}
}
