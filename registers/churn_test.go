package registers

import (
	"math/rand/v2"
	"strconv"
	"testing"

	json "github.com/goccy/go-json"
)

// churnNode is one live replica of a churn simulation: its identity and its
// copy of one MV register.
type churnNode struct {
	id  *Identity
	reg *MV[int64]
	num int // index of the replica among all ever created
}

// churn simulates replicas of one MV register coming and going: every step
// one replica writes, some replica merges another's state (gossip), and the
// population moves towards a target by forking new replicas (which start
// from a copy of their parent's state) and retiring replicas (whose state
// is merged into a random live replica, which then absorbs the identity).
// At the target size a replica is replaced every eighth step or so, so the
// number of replicas ever created keeps rising.
type churn struct {
	// adjacent makes a retiring replica hand its identity to the live
	// replica with the largest Identity.Adjacency instead of a random one.
	adjacent bool
	rng      *rand.Rand
	live     []*churnNode
	created  int // replicas ever created, the seed included
	writes   []uint64
	seq      int64
}

func newChurn(seed uint64) *churn {
	return &churn{
		rng:     rand.New(rand.NewPCG(seed, 0xc0ffee)),
		live:    []*churnNode{{id: SeedIdentity(), reg: NewMV[int64]("seed")}},
		created: 1,
		writes:  []uint64{0},
	}
}

func (c *churn) fork(parent int) {
	p := c.live[parent]
	c.live = append(c.live, &churnNode{id: p.id.Fork(), reg: p.reg.Clone(), num: c.created})
	c.created++
	c.writes = append(c.writes, 0)
}

func (c *churn) retire(i, into int) error {
	if c.adjacent {
		best := -1
		for k, n := range c.live {
			if a := c.live[i].id.Adjacency(n.id); k != i && a > best {
				best, into = a, k
			}
		}
	}
	gone, to := c.live[i], c.live[into]
	if err := to.reg.Merge(gone.reg); err != nil {
		return err
	}
	if err := gone.id.Retire(to.id); err != nil {
		return err
	}
	last := len(c.live) - 1
	c.live[i] = c.live[last]
	c.live = c.live[:last]
	return nil
}

func (c *churn) write(i int) error {
	c.seq++
	n := c.live[i]
	c.writes[n.num]++
	return n.reg.Set(n.id, c.seq)
}

func (c *churn) pair() (int, int) {
	n := len(c.live)
	i, j := c.rng.IntN(n), c.rng.IntN(n-1)
	if j >= i {
		j++
	}
	return i, j
}

// step runs one step towards a population of target.
func (c *churn) step(target int) error {
	if err := c.write(c.rng.IntN(len(c.live))); err != nil {
		return err
	}
	if len(c.live) > 1 && c.rng.IntN(2) == 0 {
		i, j := c.pair()
		if err := c.live[i].reg.Merge(c.live[j].reg); err != nil {
			return err
		}
	}
	switch n := len(c.live); {
	case n < target:
		c.fork(c.rng.IntN(n))
	case n > target:
		i, j := c.pair()
		return c.retire(i, j)
	case n > 1 && c.rng.IntN(8) == 0:
		i, j := c.pair()
		if err := c.retire(i, j); err != nil {
			return err
		}
		c.fork(c.rng.IntN(n - 1))
	}
	return nil
}

// clockBytes returns the largest JSON clock among the live replicas.
func (c *churn) clockBytes() int {
	m := 0
	for _, n := range c.live {
		b, _ := n.reg.clock.MarshalJSON()
		m = max(m, len(b))
	}
	return m
}

// payloadBytes returns the largest state payload among the live replicas.
func (c *churn) payloadBytes() int {
	m := 0
	for _, n := range c.live {
		b, _ := json.Marshal(n.reg.Payload())
		m = max(m, len(b))
	}
	return m
}

// vvBytes estimates the JSON clock of a version vector with one entry per
// replica ever created, each "<uuid>":<writes>, the uuid being the 36
// characters of a crdt.NewReplicaID, plus braces and commas.
func (c *churn) vvBytes() int {
	size := 2
	for i, n := range c.writes {
		if i > 0 {
			size++
		}
		size += 36 + 3 + len(strconv.FormatUint(n, 10))
	}
	return size
}

// fragments returns the number of maximal runs of the id space owned by
// one live replica, summed over the live replicas.
func (c *churn) fragments() int {
	n := 0
	for _, l := range c.live {
		n += len(ownedIntervals(l.id.ID()))
	}
	return n
}

// clockBound is the clock size the lifecycle test allows for a live
// population of n: ids fragment when replicas retire into non-adjacent
// neighbours, and with random retirement the number of ownership boundaries
// settles around n²/2, so the bound is quadratic in n; it does not depend on
// how many replicas ever existed.
func clockBound(n int) int { return 64 + 6*n*n }

// TestMVLifecycle runs 5,000 steps of churn through phases of different
// live populations. In the second half of every phase the largest clock of a
// live replica must stay within clockBound(target), however many replicas
// were created before; when the population drops to two, the clock must be
// back to a few bytes although hundreds of replicas have come and gone.
func TestMVLifecycle(t *testing.T) {
	c := newChurn(7)
	phases := []struct{ target, steps int }{{8, 1000}, {24, 1000}, {4, 1000}, {16, 1000}, {2, 1000}}
	for _, p := range phases {
		peak := 0
		for s := range p.steps {
			if err := c.step(p.target); err != nil {
				t.Fatal(err)
			}
			if s >= p.steps/2 {
				peak = max(peak, c.clockBytes())
			}
		}
		t.Logf("live %3d  created %4d  clock peak %4d B (bound %5d)  now %4d B  payload %5d B  one-entry-per-replica VV %6d B",
			len(c.live), c.created, peak, clockBound(p.target), c.clockBytes(), c.payloadBytes(), c.vvBytes())
		if len(c.live) != p.target {
			t.Fatalf("population %d, target %d", len(c.live), p.target)
		}
		if peak > clockBound(p.target) {
			t.Errorf("clock of %d B with %d live replicas exceeds %d B", peak, p.target, clockBound(p.target))
		}
	}
	if c.created < 500 {
		t.Fatalf("only %d replicas created: not much of a history", c.created)
	}
	if now := c.clockBytes(); now > 16 {
		t.Errorf("two live replicas after %d were created: clock %d B", c.created, now)
	}
	// The live identities still partition the id space.
	acc := &Identity{}
	for _, n := range c.live {
		if err := NewIdentity(n.id.ID()).Retire(acc); err != nil {
			t.Fatal(err)
		}
	}
	if !acc.ID().IsSeed() {
		t.Fatalf("live identities sum to %v", acc)
	}
}

// TestMVLifecycleAdjacentRetire: when retiring replicas hand their identity
// to the most adjacent survivor, every live replica owns one contiguous part
// of the id space and the clock stays within a bound linear in the live
// population, through 10,000 steps at up to 64 replicas.
func TestMVLifecycleAdjacentRetire(t *testing.T) {
	c := newChurn(11)
	c.adjacent = true
	for _, target := range []int{64, 8, 32, 2} {
		peak := 0
		for s := range 2500 {
			if err := c.step(target); err != nil {
				t.Fatal(err)
			}
			if s >= 1250 {
				peak = max(peak, c.clockBytes())
			}
		}
		t.Logf("live %3d  created %4d  fragments %3d  clock peak %4d B  payload %5d B  one-entry-per-replica VV %6d B",
			len(c.live), c.created, c.fragments(), peak, c.payloadBytes(), c.vvBytes())
		if f := c.fragments(); f != target {
			t.Errorf("%d live replicas own %d fragments", target, f)
		}
		if bound := 64 + 24*target; peak > bound {
			t.Errorf("clock of %d B with %d live replicas exceeds %d B", peak, target, bound)
		}
	}
}
