package registers

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
)

var replicaCounts = []int{2, 16, 128}

// concurrent returns n identities forked from one seed and, for each, a
// register in which that replica wrote once without seeing the others.
func concurrent(b *testing.B, n int) ([]*Identity, []*MV[int64]) {
	ids := []*Identity{SeedIdentity()}
	for len(ids) < n {
		ids = append(ids, ids[len(ids)/2].Fork()) // keep the id tree balanced
	}
	regs := make([]*MV[int64], n)
	for i, id := range ids {
		regs[i] = NewMV[int64](crdt.ReplicaID("r" + strconv.Itoa(i)))
		if err := regs[i].Set(id, int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	return ids, regs
}

func mergeAll(b *testing.B, regs []*MV[int64]) *MV[int64] {
	acc := NewMV[int64]("acc")
	for _, r := range regs {
		if err := acc.Merge(r); err != nil {
			b.Fatal(err)
		}
	}
	return acc
}

// BenchmarkMVWrite: replica 0 writes repeatedly into a register whose clock
// holds the concurrent writes of n replicas.
func BenchmarkMVWrite(b *testing.B) {
	for _, n := range replicaCounts {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			ids, regs := concurrent(b, n)
			r := mergeAll(b, regs)
			var v int64
			b.ReportAllocs()
			for b.Loop() {
				v++
				if err := r.Set(ids[0], v); err != nil {
					b.Fatal(err)
				}
				r.TakeDelta()
			}
		})
	}
}

// BenchmarkMVMerge merges states of n concurrent replicas:
//   - disjoint: a clone of the merge of one half into the merge of the
//     other half, giving n siblings (clone included; see clone);
//   - idempotent: a state into one that already holds it;
//   - delta: the delta of a write that had seen all n siblings into a clone
//     of the state holding them, which collapses them to one;
//   - clone: the clone that disjoint and delta include.
func BenchmarkMVMerge(b *testing.B) {
	for _, n := range replicaCounts {
		ids, regs := concurrent(b, n)
		left, right := mergeAll(b, regs[:n/2]), mergeAll(b, regs[n/2:])
		all := mergeAll(b, regs)
		w := all.Clone()
		if err := w.Set(ids[0], -1); err != nil {
			b.Fatal(err)
		}
		delta, _ := w.TakeDelta()
		b.Run(fmt.Sprintf("disjoint/replicas=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c := left.Clone()
				if err := c.Merge(right); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("idempotent/replicas=%d", n), func(b *testing.B) {
			c := all.Clone()
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Merge(all); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("delta/replicas=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c := all.Clone()
				if err := c.Merge(delta); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("clone/replicas=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				all.Clone()
			}
		})
	}
}

// churn128 returns the state after 10,000 steps of churn around 128 live
// replicas, with retiring replicas handing their identity to a random
// survivor or to the most adjacent one; each is computed once.
func churn128(adjacent bool) (*churn, error) {
	if adjacent {
		return churn128Adjacent()
	}
	return churn128Random()
}

var churn128Random = sync.OnceValues(func() (*churn, error) { return runChurn128(false) })
var churn128Adjacent = sync.OnceValues(func() (*churn, error) { return runChurn128(true) })

func runChurn128(adjacent bool) (*churn, error) {
	c := newChurn(128)
	c.adjacent = adjacent
	for range 10_000 {
		if err := c.step(128); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Sizes of a version-vector design for the same history, in JSON like our
// payloads: a clock entry "<uuid>":<counter> per replica ever created (36
// characters of crdt.NewReplicaID, quotes, colon, digits, comma) and a dot
// {"c":<counter>,"r":"<uuid>"} per sibling instead of an itc event. In
// binary: 16 bytes of UUID and a varint counter per entry.
func (c *churn) vvPayloadBytes(reg *MV[int64]) (jsonBytes, binaryBytes int) {
	jsonBytes = c.vvBytes() + len(`{"clock":,"values":[]}`)
	for _, n := range c.writes {
		binaryBytes += 16 + varintLen(n)
	}
	for i, s := range reg.sibs {
		if i > 0 {
			jsonBytes++
		}
		jsonBytes += len(`{"event":{"c":,"r":""},"value":}`) + 36 + 4 + len(s.raw)
		binaryBytes += 16 + 2 + len(s.raw)
	}
	return jsonBytes, binaryBytes
}

func varintLen(n uint64) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// BenchmarkMVChurnPayload128 reports the sizes after 10,000 steps of churn
// with 128 live replicas (largest over the live replicas) and times the
// encoding of the largest payload, for both retirement policies.
func BenchmarkMVChurnPayload128(b *testing.B) {
	for _, adjacent := range []bool{false, true} {
		name := "retire=random"
		if adjacent {
			name = "retire=adjacent"
		}
		b.Run(name, func(b *testing.B) { benchChurnPayload(b, adjacent) })
	}
}

func benchChurnPayload(b *testing.B, adjacent bool) {
	c, err := churn128(adjacent)
	if err != nil {
		b.Fatal(err)
	}
	var big *MV[int64]
	var owner *Identity
	size := 0
	for _, n := range c.live {
		p, _ := json.Marshal(n.reg.Payload())
		if len(p) > size {
			big, owner, size = n.reg, n.id, len(p)
		}
	}
	// The same replica after one more write, which replaces the siblings.
	one := big.Clone()
	if err := one.Set(owner, 0); err != nil {
		b.Fatal(err)
	}
	oneSize, _ := json.Marshal(one.Payload())
	_, vvOneBin := c.vvPayloadBytes(one)
	vvOneJSON, _ := c.vvPayloadBytes(one)
	compact, _ := itcCompactLen(big)
	vvJSON, vvBin := c.vvPayloadBytes(big)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(big.Payload()); err != nil {
			b.Fatal(err)
		}
	}
	// After the loop: b.Loop's first call resets user metrics.
	b.ReportMetric(float64(len(c.live)), "live")
	b.ReportMetric(float64(c.fragments()), "fragments")
	b.ReportMetric(float64(c.created), "created")
	b.ReportMetric(float64(c.clockBytes()), "clock-B")
	b.ReportMetric(float64(compact), "clock-compact-B")
	b.ReportMetric(float64(size), "payload-B")
	b.ReportMetric(float64(big.Len()), "siblings")
	b.ReportMetric(float64(c.vvBytes()), "vv-clock-B")
	b.ReportMetric(float64(vvJSON), "vv-payload-B")
	b.ReportMetric(float64(vvBin), "vv-payload-bin-B")
	b.ReportMetric(float64(len(oneSize)), "payload-1sib-B")
	b.ReportMetric(float64(vvOneJSON), "vv-payload-1sib-B")
	b.ReportMetric(float64(vvOneBin), "vv-payload-1sib-bin-B")
}

func itcCompactLen(r *MV[int64]) (int, error) {
	b, err := r.clock.MarshalCompact()
	return len(b), err
}
