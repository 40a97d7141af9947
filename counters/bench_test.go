package counters

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"testing"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// cpuLoop runs body b.N times like b.Loop and also reports the process CPU
// time per operation as cpu-ns/op. On a shared, overloaded machine wall time
// (ns/op) includes time spent waiting for a core, while CPU time mostly does
// not, so cpu-ns/op is the steadier figure to compare.
func cpuLoop(b *testing.B, body func()) {
	b.Helper()
	start := processCPU()
	for b.Loop() {
		body()
	}
	if used := processCPU() - start; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// benchPN returns a PNCounter that has seen 64 replicas, each with
// increments and decrements; seed varies the counts so two calls give
// states that differ in every entry.
func benchPN(b *testing.B, seed uint64) *PNCounter {
	c := NewPNCounter("bench")
	for i := range 64 {
		o := NewPNCounter(crdt.ReplicaID(fmt.Sprintf("replica-%02d-5f1c2a7e-9b1d-4c3e-8f00-%012d", i, i)))
		k := uint64(i)*7919 + 1000
		if (uint64(i)+seed)%2 == 0 {
			k += 1 << 40
		}
		if err := o.Inc(k); err != nil {
			b.Fatal(err)
		}
		if err := o.Dec(k / 3); err != nil {
			b.Fatal(err)
		}
		_ = c.Merge(o)
	}
	return c
}

// BenchmarkPNCounterMerge64 merges two 64-replica counters that each hold
// the larger count for half the replicas. The receiver is cloned each
// iteration so every merge does real work; BenchmarkPNCounterClone64 is the
// cost of that clone alone.
func BenchmarkPNCounterMerge64(b *testing.B) {
	x, y := benchPN(b, 0), benchPN(b, 1)
	b.ReportAllocs()
	cpuLoop(b, func() {
		c := x.Clone()
		if err := c.Merge(y); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkPNCounterClone64(b *testing.B) {
	x := benchPN(b, 0)
	b.ReportAllocs()
	cpuLoop(b, func() { _ = x.Clone() })
}

// BenchmarkPNCounterMergeSteady64 merges a 64-replica counter into one that
// already holds it: the per-entry comparisons without any write.
func BenchmarkPNCounterMergeSteady64(b *testing.B) {
	x, y := benchPN(b, 0), benchPN(b, 1)
	_ = x.Merge(y)
	b.ReportAllocs()
	cpuLoop(b, func() { _ = x.Merge(y) })
}

func BenchmarkPNCounterEncode64(b *testing.B) {
	c := benchPN(b, 0)
	b.Run("payload", func(b *testing.B) {
		b.ReportAllocs()
		cpuLoop(b, func() {
			if _, err := payload.Marshal(c); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		cpuLoop(b, func() {
			if _, err := stdjson.Marshal(c.Payload()); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkPNCounterDecode64 compares payload.Unmarshal of the whole
// envelope (strict decoding, validation, building the state) with
// encoding/json decoding only the state into the payload struct.
func BenchmarkPNCounterDecode64(b *testing.B) {
	c := benchPN(b, 0)
	env, err := payload.Marshal(c)
	if err != nil {
		b.Fatal(err)
	}
	state, err := stdjson.Marshal(c.Payload())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("payload", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(env)))
		cpuLoop(b, func() {
			if _, err := payload.Unmarshal(env, "bench"); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(state)))
		cpuLoop(b, func() {
			var p pncounterPayload
			dec := stdjson.NewDecoder(bytes.NewReader(state))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				b.Fatal(err)
			}
		})
	})
}
