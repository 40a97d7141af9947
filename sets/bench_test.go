package sets

// Benchmarks of set merge and payload encode/decode, with the baselines the
// targets are measured against (docs/performance.md).
//
// The states: two replicas, "replica-a" and "replica-b", of n elements each,
// half of them shared. Replica a adds n/2 elements and b merges a's state
// (the shared half, with a's dots); then a adds n/2 more elements and b adds
// n/2 others, concurrently. Elements are strings of 14 bytes
// ("element-000042"). GSet states hold the same elements.
//
// Merge benchmarks measure what a replica does on receiving a full state
// without giving up its own copy: clone the local state, then merge the
// remote one into the clone (crdt.Merge). The result has 1.5n elements.
//
// Baseline "map": the physical limit of a set union in Go, on plain
// map[string]struct{} holding the same elements: maps.Clone of a's map, then
// an insert of every key of b's map into the clone. It is the same work as
// Clone+Merge minus everything a CRDT adds (dots, contexts, identity).
//
// Encode: payload.Marshal(s) (envelope included, elements sorted) against
// encoding/json's Marshal of the same s.Payload() value (sorting included on
// both sides, since Payload sorts). Decode: payload.Unmarshal of the
// envelope, which decodes strictly, validates every invariant and builds the
// state, against encoding/json decoding the state's bytes into the same
// payload type with DisallowUnknownFields (decoding only, no validation, no
// state built). The "-value" encode variants time the two JSON libraries
// alone on a payload value built once, without Payload's sorting.

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"maps"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// benchLoop runs body b.N times and, besides the wall time, reports the
// process CPU time per operation as cpu-ns/op. On a shared, overloaded
// machine wall time includes waiting for a core while CPU time does not, so
// cpu-ns/op is the steadier figure for comparing a type with its baseline.
func benchLoop(b *testing.B, body func()) {
	b.Helper()
	b.ReportAllocs()
	start, ok := processCPU()
	for b.Loop() {
		body()
	}
	if end, ok2 := processCPU(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

var benchSizes = []int{1_000, 10_000, 100_000}

func benchElement(i int) string { return fmt.Sprintf("element-%06d", i) }

type benchStates struct {
	orA, orB *ORSet[string]
	gA, gB   *GSet[string]
	mA, mB   map[string]struct{}
}

var benchCache = map[int]*benchStates{}

func benchStatesFor(b testing.TB, n int) *benchStates {
	if st, ok := benchCache[n]; ok {
		return st
	}
	b.Helper()
	st := &benchStates{
		orA: NewORSet[string]("replica-a"), orB: NewORSet[string]("replica-b"),
		gA: NewGSet[string]("replica-a"), gB: NewGSet[string]("replica-b"),
		mA: map[string]struct{}{}, mB: map[string]struct{}{},
	}
	half := n / 2
	for i := range half {
		e := benchElement(i)
		if err := st.orA.Add(e); err != nil {
			b.Fatal(err)
		}
		st.gA.Add(e)
		st.mA[e] = struct{}{}
	}
	if err := st.orB.Merge(st.orA); err != nil {
		b.Fatal(err)
	}
	if err := st.gB.Merge(st.gA); err != nil {
		b.Fatal(err)
	}
	maps.Copy(st.mB, st.mA)
	for i := half; i < n; i++ {
		ea, eb := benchElement(i), benchElement(i+half)
		if err := st.orA.Add(ea); err != nil {
			b.Fatal(err)
		}
		if err := st.orB.Add(eb); err != nil {
			b.Fatal(err)
		}
		st.gA.Add(ea)
		st.gB.Add(eb)
		st.mA[ea] = struct{}{}
		st.mB[eb] = struct{}{}
	}
	for _, s := range []*ORSet[string]{st.orA, st.orB} {
		s.TakeDelta()
	}
	st.gA.TakeDelta()
	st.gB.TakeDelta()
	if st.orA.Len() != n || st.orB.Len() != n || len(st.mA) != n || st.gB.Len() != n {
		b.Fatalf("bad setup")
	}
	benchCache[n] = st
	return st
}

func BenchmarkMerge(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("set=ORSet/n=%d", n), func(b *testing.B) {
			st := benchStatesFor(b, n)
			benchLoop(b, func() {
				m, err := crdt.Merge(st.orA, st.orB)
				if err != nil || m.Len() != n+n/2 {
					b.Fatal("bad merge", err)
				}
			})
		})
		b.Run(fmt.Sprintf("set=GSet/n=%d", n), func(b *testing.B) {
			st := benchStatesFor(b, n)
			benchLoop(b, func() {
				m, err := crdt.Merge(st.gA, st.gB)
				if err != nil || m.Len() != n+n/2 {
					b.Fatal("bad merge", err)
				}
			})
		})
		b.Run(fmt.Sprintf("set=map/n=%d", n), func(b *testing.B) {
			st := benchStatesFor(b, n)
			benchLoop(b, func() {
				m := maps.Clone(st.mA)
				for k := range st.mB {
					m[k] = struct{}{}
				}
				if len(m) != n+n/2 {
					b.Fatal("bad union")
				}
			})
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, n := range benchSizes {
		for _, set := range []string{"ORSet", "GSet"} {
			b.Run(fmt.Sprintf("set=%s/codec=payload/n=%d", set, n), func(b *testing.B) {
				s := benchState(b, set, n)
				benchLoop(b, func() {
					if _, err := payload.Marshal(s); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run(fmt.Sprintf("set=%s/codec=encoding-json/n=%d", set, n), func(b *testing.B) {
				s := benchState(b, set, n)
				benchLoop(b, func() {
					if _, err := stdjson.Marshal(s.Payload()); err != nil {
						b.Fatal(err)
					}
				})
			})
			// The encoders alone, on a payload value built once: how much of
			// the difference is the JSON library's.
			b.Run(fmt.Sprintf("set=%s/codec=go-json-value/n=%d", set, n), func(b *testing.B) {
				p := benchState(b, set, n).Payload()
				benchLoop(b, func() {
					if _, err := json.Marshal(p); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run(fmt.Sprintf("set=%s/codec=encoding-json-value/n=%d", set, n), func(b *testing.B) {
				p := benchState(b, set, n).Payload()
				benchLoop(b, func() {
					if _, err := stdjson.Marshal(p); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range benchSizes {
		for _, set := range []string{"ORSet", "GSet"} {
			b.Run(fmt.Sprintf("set=%s/codec=payload/n=%d", set, n), func(b *testing.B) {
				data, err := payload.Marshal(benchState(b, set, n))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				benchLoop(b, func() {
					if _, err := payload.Unmarshal(data, "replica-c"); err != nil {
						b.Fatal(err)
					}
				})
			})
			b.Run(fmt.Sprintf("set=%s/codec=encoding-json/n=%d", set, n), func(b *testing.B) {
				s := benchState(b, set, n)
				data, err := stdjson.Marshal(s.Payload())
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				benchLoop(b, func() {
					dec := stdjson.NewDecoder(bytes.NewReader(data))
					dec.DisallowUnknownFields()
					var err error
					switch set {
					case "ORSet":
						var p orsetWire[string]
						err = dec.Decode(&p)
					case "GSet":
						var p gsetPayload[string]
						err = dec.Decode(&p)
					}
					if err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

func benchState(b testing.TB, set string, n int) crdt.State {
	st := benchStatesFor(b, n)
	if set == "ORSet" {
		return st.orA
	}
	return st.gA
}
