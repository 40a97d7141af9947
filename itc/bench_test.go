package itc

import (
	"sync"
	"testing"
)

// benchPair returns two stamps with disjoint ids: a small pair from a short
// run, or two live stamps after long churn (64 live replicas, 20,000 steps).
var churnOnce = sync.OnceValue(func() []Stamp { return churned(nil, 64, 20000) })

func benchPair(b *testing.B, kind string) (Stamp, Stamp) {
	if kind == "small" {
		a, c := NewStamp().Fork()
		a, _ = a.Event()
		c, _ = c.Event()
		c, _ = c.Event()
		return a, c // {(1, 0); (0, 1, 0)} and {(0, 1); (0, 0, 2)}
	}
	live := churnOnce()
	// The two largest live stamps.
	var x, y Stamp
	var nx, ny int
	for _, s := range live {
		n := eventBinaryLen(s.ev)
		switch {
		case n > nx:
			y, ny, x, nx = x, nx, s, n
		case n > ny:
			y, ny = s, n
		}
	}
	return x, y
}

var kinds = []string{"small", "churn"}

func benchEach(b *testing.B, fn func(b *testing.B, x, y Stamp)) {
	for _, k := range kinds {
		b.Run(k, func(b *testing.B) {
			x, y := benchPair(b, k)
			b.ReportAllocs()
			fn(b, x, y)
		})
	}
}

var (
	sinkStamp Stamp
	sinkOrd   Ordering
	sinkBytes []byte
)

func BenchmarkFork(b *testing.B) {
	benchEach(b, func(b *testing.B, x, _ Stamp) {
		for b.Loop() {
			sinkStamp, _ = x.Fork()
		}
	})
}

func BenchmarkEvent(b *testing.B) {
	benchEach(b, func(b *testing.B, x, _ Stamp) {
		for b.Loop() {
			sinkStamp, _ = x.Event()
		}
	})
}

func BenchmarkJoin(b *testing.B) {
	benchEach(b, func(b *testing.B, x, y Stamp) {
		for b.Loop() {
			sinkStamp, _ = x.Join(y)
		}
	})
}

func BenchmarkPeek(b *testing.B) {
	benchEach(b, func(b *testing.B, x, _ Stamp) {
		for b.Loop() {
			sinkStamp = x.Peek()
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	benchEach(b, func(b *testing.B, x, y Stamp) {
		for b.Loop() {
			sinkOrd = x.Compare(y)
		}
	})
}

// BenchmarkCompareEqual compares a stamp with a structurally equal copy
// that shares no nodes, the worst case: both trees are walked fully twice.
func BenchmarkCompareEqual(b *testing.B) {
	benchEach(b, func(b *testing.B, x, _ Stamp) {
		bin, _ := x.MarshalBinary()
		var y Stamp
		if err := y.UnmarshalBinary(bin); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			sinkOrd = x.Compare(y)
		}
	})
}

// benchCodec benchmarks an encoder, and a decoder prepared for its input
// (so that the text decoder gets a string without a conversion per call).
func benchCodec(b *testing.B, enc func(Stamp) []byte, prep func([]byte) func() error) {
	b.Run("encode", func(b *testing.B) {
		benchEach(b, func(b *testing.B, x, _ Stamp) {
			for b.Loop() {
				sinkBytes = enc(x)
			}
			b.ReportMetric(float64(len(enc(x))), "B/stamp")
		})
	})
	b.Run("decode", func(b *testing.B) {
		benchEach(b, func(b *testing.B, x, _ Stamp) {
			data := enc(x)
			dec := prep(data)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := dec(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkBinary(b *testing.B) {
	benchCodec(b, func(s Stamp) []byte { out, _ := s.MarshalBinary(); return out },
		func(d []byte) func() error { return func() error { return sinkStamp.UnmarshalBinary(d) } })
}

func BenchmarkCompact(b *testing.B) {
	benchCodec(b, func(s Stamp) []byte { out, _ := s.MarshalCompact(); return out },
		func(d []byte) func() error { return func() error { return sinkStamp.UnmarshalCompact(d) } })
}

func BenchmarkJSON(b *testing.B) {
	benchCodec(b, func(s Stamp) []byte { out, _ := s.MarshalJSON(); return out },
		func(d []byte) func() error { return func() error { return sinkStamp.UnmarshalJSON(d) } })
}

func BenchmarkText(b *testing.B) {
	benchCodec(b, func(s Stamp) []byte { return []byte(s.String()) },
		func(d []byte) func() error {
			s := string(d)
			return func() error {
				var err error
				sinkStamp, err = ParseStamp(s)
				return err
			}
		})
}
