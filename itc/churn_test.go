package itc

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// churnSim runs a population of live replicas under churn. Every step one
// replica records an event; with probability 1/2 a replica also receives
// another's peeked event (gossip); with probability 1/8 a replica retires
// by joining into another and a new one is forked in from a random
// survivor, so the population stays at its target size while the number
// of replicas ever created keeps rising. The retiring replica joins a
// random survivor, or with neighbour set the survivor whose share is
// closest to its own in the interval.
type churnSim struct {
	neighbour bool
	rng       *rand.Rand
	live      []Stamp
	liveIdx   []int    // replica number of each live stamp
	counts    []uint64 // events recorded per replica ever created
}

func newChurnSim(seed uint64, live int) *churnSim {
	c := &churnSim{
		rng:     rand.New(rand.NewPCG(seed, 0x17c)),
		live:    []Stamp{NewStamp()},
		liveIdx: []int{0},
		counts:  []uint64{0},
	}
	for len(c.live) < live {
		c.fork(c.rng.IntN(len(c.live)))
	}
	return c
}

func (c *churnSim) fork(i int) {
	a, b := c.live[i].Fork()
	c.live[i] = a
	c.live = append(c.live, b)
	c.liveIdx = append(c.liveIdx, len(c.counts))
	c.counts = append(c.counts, 0)
}

func (c *churnSim) step() error {
	n := len(c.live)
	i := c.rng.IntN(n)
	s, err := c.live[i].Event()
	if err != nil {
		return err
	}
	c.live[i] = s
	c.counts[c.liveIdx[i]]++
	if c.rng.IntN(2) == 0 {
		a, b := c.rng.IntN(n), c.rng.IntN(n)
		if c.live[a], err = c.live[a].Join(c.live[b].Peek()); err != nil {
			return err
		}
	}
	if c.rng.IntN(8) == 0 {
		into, gone := c.rng.IntN(n), c.rng.IntN(n)
		if c.neighbour && n > 1 {
			into = c.closest(gone)
		}
		if into != gone {
			if c.live[into], err = c.live[into].Join(c.live[gone]); err != nil {
				return err
			}
			c.live[gone] = c.live[n-1]
			c.liveIdx[gone] = c.liveIdx[n-1]
			c.live, c.liveIdx = c.live[:n-1], c.liveIdx[:n-1]
			c.fork(c.rng.IntN(n - 1))
		}
	}
	return nil
}

// closest returns the live replica, other than gone, whose id has a 1-leaf
// sharing the longest path prefix with one of gone's.
func (c *churnSim) closest(gone int) int {
	mine := idLeaves(c.live[gone].id.p, "", nil)
	best, bestLen := -1, -1
	for j, s := range c.live {
		if j == gone {
			continue
		}
		for _, p := range idLeaves(s.id.p, "", nil) {
			for _, q := range mine {
				k := 0
				for k < len(p) && k < len(q) && p[k] == q[k] {
					k++
				}
				if k > bestLen {
					best, bestLen = j, k
				}
			}
		}
	}
	return best
}

// vvSize estimates a version vector with one entry per replica ever
// created: a 16-byte replica id (a UUID) and a varint counter per entry.
func (c *churnSim) vvSize() int {
	size := 0
	for _, n := range c.counts {
		size += 16 + varintLen(n)
	}
	return size
}

// vvLiveSize is the same estimate with entries for live replicas only, as
// if retired replicas could be dropped from every vector: a lower bound
// that real systems reach only with extra coordination.
func (c *churnSim) vvLiveSize() int {
	size := 0
	for _, r := range c.liveIdx {
		size += 16 + varintLen(c.counts[r])
	}
	return size
}

func varintLen(n uint64) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

type churnRow struct {
	live, steps, created      int
	neighbour                 bool
	compact, binary, json, vv float64
	vvLive, idLeaves          float64
	maxCompact, maxBinary     int
}

// runChurn measures mean encoded sizes over the live stamps, sampled every
// 100 steps over the second half of the run.
func runChurn(t testing.TB, live, steps int, neighbour bool) churnRow {
	c := newChurnSim(uint64(live), live)
	c.neighbour = neighbour
	row := churnRow{live: live, steps: steps, neighbour: neighbour}
	samples := 0
	for s := 1; s <= steps; s++ {
		if err := c.step(); err != nil {
			t.Fatalf("step %d: %v", s, err)
		}
		if s <= steps/2 || s%100 != 0 {
			continue
		}
		for _, st := range c.live {
			cb, _ := st.MarshalCompact()
			bb, _ := st.MarshalBinary()
			jb, _ := st.MarshalJSON()
			row.compact += float64(len(cb))
			row.binary += float64(len(bb))
			row.json += float64(len(jb))
			row.maxCompact = max(row.maxCompact, len(cb))
			row.maxBinary = max(row.maxBinary, len(bb))
			row.idLeaves += float64(len(idLeaves(st.id.p, "", nil)))
			samples++
		}
		row.vv += float64(c.vvSize() * len(c.live))
		row.vvLive += float64(c.vvLiveSize() * len(c.live))
	}
	row.compact /= float64(samples)
	row.binary /= float64(samples)
	row.json /= float64(samples)
	row.vv /= float64(samples)
	row.vvLive /= float64(samples)
	row.idLeaves /= float64(samples)
	row.created = len(c.counts)

	// The population is still a partition of the seed id.
	sum := NullID()
	for _, st := range c.live {
		var err error
		if sum, err = sum.Sum(st.IDComponent()); err != nil {
			t.Fatalf("live ids overlap: %v", err)
		}
	}
	if !sum.IsSeed() {
		t.Fatalf("live ids sum to %v", sum)
	}
	return row
}

var churnSteps = flag.Int("churnsteps", 2000, "steps per population in TestChurnTable")

// TestChurnTable reproduces the paper's point about space: ITC stamps grow
// with the number of live replicas, a version vector with every replica
// ever created. Run with -v to see the table; the figures in docs/itc.md
// come from go test ./itc -run TestChurnTable -v -args -churnsteps=20000.
func TestChurnTable(t *testing.T) {
	steps := *churnSteps
	if testing.Short() {
		steps = min(steps, 1000)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\n| live replicas | retire into | steps | replicas created | owned leaves per id (mean) | ITC compact (mean / max B) | ITC libitc v1 (mean / max B) | ITC JSON (mean B) | version vector, all replicas (mean B) | version vector, live only (mean B) |\n")
	fmt.Fprintf(&out, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, neighbour := range []bool{false, true} {
		for _, live := range []int{4, 16, 64, 128} {
			r := runChurn(t, live, steps, neighbour)
			policy := "random"
			if neighbour {
				policy = "neighbour"
			}
			fmt.Fprintf(&out, "| %d | %s | %d | %d | %.1f | %.1f / %d | %.1f / %d | %.1f | %.0f | %.0f |\n",
				r.live, policy, r.steps, r.created, r.idLeaves, r.compact, r.maxCompact, r.binary, r.maxBinary, r.json, r.vv, r.vvLive)
			if r.compact >= r.vv || r.binary >= r.vv {
				t.Errorf("%d live replicas: ITC (%.1f, %.1f B) not smaller than the version vector (%.0f B)", live, r.compact, r.binary, r.vv)
			}
		}
	}
	t.Log(out.String())
}
