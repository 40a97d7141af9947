package sets

// Benchmarks of what one change costs against the size of the state (issue
// 9, docs/performance.md "Cost of a change"): merging a one-element delta,
// cloning, and the memory an element takes. Each figure is a ratio between
// sizes measured in one run.

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	stdjson "encoding/json"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/payload"
)

var deltaSizes = []int{1_000, 10_000, 100_000, 1_000_000}

// deltaPair is a large set on replica-a and replica-b, which has merged all
// of it: b makes the changes whose deltas a merges.
type deltaPair struct {
	a, b *ORSet[string]
	seq  int // fresh elements used so far
}

var deltaPairs = map[int]*deltaPair{}

func deltaPairFor(b *testing.B, n int) *deltaPair {
	if p, ok := deltaPairs[n]; ok {
		return p
	}
	p := &deltaPair{a: NewORSet[string]("replica-a"), b: NewORSet[string]("replica-b")}
	for i := range n {
		if err := p.a.Add(benchElement(i)); err != nil {
			b.Fatal(err)
		}
	}
	p.a.TakeDelta()
	if err := p.b.Merge(p.a); err != nil {
		b.Fatal(err)
	}
	deltaPairs[n] = p
	return p
}

func (p *deltaPair) fresh() string {
	p.seq++
	return fmt.Sprintf("fresh-%08d", p.seq)
}

// take returns b's pending delta, failing if there is none.
func take(tb testing.TB, s *ORSet[string]) *ORSet[string] {
	d, ok := s.TakeDelta()
	if !ok {
		tb.Fatal("no delta")
	}
	return d
}

// chunkedMerges times merges of deltas into dst in chunks of up to 1,000,
// each prepared (and afterwards undone) with the timer stopped, and reports
// the CPU time of the merges alone as cpu-ns/op. prepare returns the deltas
// to merge and those that undo them, so that the state keeps its size
// however many iterations the benchmark runs.
func chunkedMerges[S interface{ Merge(S) error }](b *testing.B, dst S, prepare func(k int) (merge, undo []S)) {
	b.ReportAllocs()
	var cpu time.Duration
	for done := 0; done < b.N; {
		k := min(1000, b.N-done)
		b.StopTimer()
		merge, undo := prepare(k)
		b.StartTimer()
		c0, _ := processCPU()
		for _, d := range merge {
			if err := dst.Merge(d); err != nil {
				b.Fatal(err)
			}
		}
		c1, _ := processCPU()
		cpu += c1 - c0
		b.StopTimer()
		for _, d := range undo {
			if err := dst.Merge(d); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		done += k
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkORSetDeltaMerge merges into an n-element set the delta of one add
// of a new element, or of one remove of a present element, made by another
// replica.
func BenchmarkORSetDeltaMerge(b *testing.B) {
	for _, n := range deltaSizes {
		b.Run(fmt.Sprintf("op=add/n=%d", n), func(b *testing.B) {
			p := deltaPairFor(b, n)
			chunkedMerges(b, p.a, func(k int) (merge, undo []*ORSet[string]) {
				for range k {
					e := p.fresh()
					if err := p.b.Add(e); err != nil {
						b.Fatal(err)
					}
					merge = append(merge, take(b, p.b))
					p.b.Remove(e)
					undo = append(undo, take(b, p.b))
				}
				return merge, undo
			})
		})
		b.Run(fmt.Sprintf("op=remove/n=%d", n), func(b *testing.B) {
			p := deltaPairFor(b, n)
			chunkedMerges(b, p.a, func(k int) (merge, undo []*ORSet[string]) {
				for range k {
					e := p.fresh()
					if err := p.b.Add(e); err != nil {
						b.Fatal(err)
					}
					if err := p.a.Merge(take(b, p.b)); err != nil {
						b.Fatal(err)
					}
					p.b.Remove(e)
					merge = append(merge, take(b, p.b))
				}
				return merge, nil
			})
		})
	}
}

// BenchmarkORSetClone clones an n-element set.
func BenchmarkORSetClone(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			s := deltaPairFor(b, n).a
			benchLoop(b, func() {
				if c := s.Clone(); c.Len() != s.Len() {
					b.Fatal("bad clone")
				}
			})
		})
	}
}

// BenchmarkORSetMemory reports the heap an element of an n-element set takes
// (elements of 14 bytes added by one replica), against the same elements in
// a map[string]struct{}. It builds each once, whatever b.N is.
func BenchmarkORSetMemory(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchElement(i)
	}
	measure := func(b *testing.B, build func() any) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v := build()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(v)
		runtime.KeepAlive(keys)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/element")
	}
	b.Run("set=ORSet/n=1000000", func(b *testing.B) {
		for b.Loop() {
		}
		measure(b, func() any {
			s := NewORSet[string]("replica-a")
			for _, k := range keys {
				if err := s.Add(k); err != nil {
					b.Fatal(err)
				}
			}
			s.TakeDelta()
			s.elems.Owner(causal.Dot{Replica: "replica-a", Counter: 1}) // build the dot index, as the first merge does
			return s
		})
	})
	b.Run("set=map/n=1000000", func(b *testing.B) {
		for b.Loop() {
		}
		measure(b, func() any {
			m := make(map[string]struct{})
			for _, k := range keys {
				m[k] = struct{}{}
			}
			return m
		})
	})
}

// BenchmarkORSetCodec encodes and decodes a 100k-element set against
// encoding/json on the plain []string of its elements, the figure of issue 9.
func BenchmarkORSetCodec(b *testing.B) {
	const n = 100_000
	s := deltaPairFor(b, n).a
	elems := s.Elements()
	data, err := payload.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := stdjson.Marshal(elems)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=encode/codec=payload/n=100000", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		benchLoop(b, func() {
			if _, err := payload.Marshal(s); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=encode/codec=encoding-json-strings/n=100000", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		benchLoop(b, func() {
			if _, err := stdjson.Marshal(elems); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=decode/codec=payload/n=100000", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		benchLoop(b, func() {
			if _, err := payload.Unmarshal(data, "replica-c"); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("op=decode/codec=encoding-json-strings/n=100000", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		benchLoop(b, func() {
			var xs []string
			if err := stdjson.Unmarshal(plain, &xs); err != nil {
				b.Fatal(err)
			}
		})
	})
}
