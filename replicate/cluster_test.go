package replicate_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/boltstore"
)

// cluster is a set of nodes on loopback joined through a fault-injecting
// network.
type cluster struct {
	t       *testing.T
	durable bool // bbolt files instead of memory, for restarts
	net     *replicate.Network
	nodes   []*replicate.Node
	addrs   []string
	dir     string
}

func newCluster(t *testing.T, n int) *cluster {
	return newClusterWith(t, n, false)
}

func newClusterWith(t *testing.T, n int, durable bool) *cluster {
	c := &cluster{t: t, net: &replicate.Network{}, dir: t.TempDir(), durable: durable}
	for i := range n {
		c.start(i)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			if nd != nil {
				_ = nd.Close()
			}
		}
	})
	return c
}

func (c *cluster) backend(i int) store.Backend {
	if !c.durable {
		return store.NewMemory()
	}
	b, err := boltstore.Open(filepath.Join(c.dir, fmt.Sprintf("node%d.db", i)), nil)
	require.NoError(c.t, err)
	return b
}

// start starts (or restarts) node i from its bbolt file and joins it to the
// first live node.
func (c *cluster) start(i int) *replicate.Node {
	tr, err := c.net.Transport("127.0.0.1")
	require.NoError(c.t, err)
	mc := replicate.FastMemberlistConfig()
	mc.Transport = tr
	cfg := replicate.Config{
		Name:       fmt.Sprintf("node%d", i),
		Backend:    c.backend(i),
		Memberlist: mc,
	}
	for j, nd := range c.nodes {
		if j != i && nd != nil {
			cfg.Join = []string{nd.Addr()}
			break
		}
	}
	nd, err := replicate.Start(context.Background(), cfg)
	require.NoError(c.t, err)
	for len(c.nodes) <= i {
		c.nodes = append(c.nodes, nil)
		c.addrs = append(c.addrs, "")
	}
	c.nodes[i], c.addrs[i] = nd, tr.Addr()
	return nd
}

func (c *cluster) live() []*replicate.Node {
	var out []*replicate.Node
	for _, n := range c.nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// converged reports whether every live node holds the same keys with the same
// digests.
func (c *cluster) converged(keys []string) bool {
	nodes := c.live()
	for _, k := range keys {
		want, wantOK := nodes[0].Digest(k)
		for _, n := range nodes[1:] {
			if got, ok := n.Digest(k); ok != wantOK || got != want {
				return false
			}
		}
	}
	return true
}

// waitConverged waits for convergence, up to a generous bound that only a
// broken protocol exceeds, and returns how long it took.
func (c *cluster) waitConverged(keys []string) time.Duration {
	start := time.Now()
	deadline := start.Add(120 * time.Second)
	for !c.converged(keys) {
		if time.Now().After(deadline) {
			for _, n := range c.live() {
				c.t.Logf("%s: members %v stats %+v", n.Name(), n.Members(), n.Stats())
			}
			for _, k := range keys {
				if !c.converged([]string{k}) {
					for _, n := range c.live() {
						st, _ := n.Get(k)
						var p []byte
						if st != nil {
							p, _ = payload.Marshal(st)
						}
						c.t.Logf("%s %s: %s", n.Name(), k, p)
					}
					break
				}
			}
			c.t.Fatalf("no convergence after %v", time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func keysN(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("counter/%03d", i)
	}
	return keys
}

func newPN(r crdt.ReplicaID) *counters.PNCounter { return counters.NewPNCounter(r) }

// writeRandom has every given node apply ops random increments and
// decrements to keys concurrently and returns the expected total per key.
func writeRandom(t *testing.T, nodes []*replicate.Node, keys []string, ops int, seed uint64) map[string]int64 {
	var mu sync.Mutex
	want := map[string]int64{}
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			for range ops {
				k := keys[rng.IntN(len(keys))]
				d := int64(rng.IntN(9)) - 4 // never zero: +0 makes no delta
				if d >= 0 {
					d++
				}
				err := replicate.Update(context.Background(), n, k, newPN, func(c *counters.PNCounter) error {
					if d >= 0 {
						return c.Inc(uint64(d))
					}
					return c.Dec(uint64(-d))
				})
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				want[k] += d
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return want
}

func checkTotals(t *testing.T, nodes []*replicate.Node, want map[string]int64) {
	for _, n := range nodes {
		for k, w := range want {
			c, ok := replicate.GetAs[*counters.PNCounter](n, k)
			require.True(t, ok, "%s lacks %s", n.Name(), k)
			assert.Equal(t, w, c.Value(), "%s: %s", n.Name(), k)
		}
	}
}

// TestFiveNodesConverge has five nodes mutate 100 keys of four types (PN
// counters, OR-sets, LWW registers and a compound Struct of two LWW sets)
// concurrently, then checks identical payloads everywhere and the values an
// independent oracle of the writes implies.
func TestFiveNodesConverge(t *testing.T) {
	c := newCluster(t, 5)
	keys := mixedKeys(100)
	o := newOracle()
	mixedWrites(t, c.nodes, keys, 60, 1, o)
	d := c.waitConverged(keys)
	t.Logf("converged %v after the last write", d)
	o.check(t, c.nodes, keys)
	// Replica ids are distinct from member names and from each other.
	seen := map[crdt.ReplicaID]bool{}
	for _, n := range c.nodes {
		assert.NotEqual(t, crdt.ReplicaID(n.Name()), n.Replica())
		assert.False(t, seen[n.Replica()])
		seen[n.Replica()] = true
	}
}

func TestLossyNetworkIsHarmless(t *testing.T) {
	c := newCluster(t, 4)
	c.net.SetFaults(0.3, 0.3, 30*time.Millisecond)
	keys := keysN(40)
	want := writeRandom(t, c.nodes, keys, 40, 2)
	c.waitConverged(keys)
	checkTotals(t, c.nodes, want)
}

func TestPartitionHeals(t *testing.T) {
	c := newCluster(t, 5)
	keys := keysN(100)
	want := writeRandom(t, c.nodes, keys, 20, 3)
	c.waitConverged(keys)

	c.net.Partition(c.addrs[:2], c.addrs[2:])
	more := writeRandom(t, c.nodes, keys, 40, 4)
	for k, v := range more {
		want[k] += v
	}
	// The sides cannot agree while cut: each side's writes stay on it.
	assert.False(t, c.converged(keys))

	c.net.Heal()
	d := c.waitConverged(keys)
	t.Logf("converged %v after the partition healed", d)
	checkTotals(t, c.nodes, want)
}

func TestRestartFromStoreCatchesUp(t *testing.T) {
	c := newClusterWith(t, 3, true)
	keys := keysN(20)
	want := writeRandom(t, c.nodes, keys, 30, 5)
	c.waitConverged(keys)

	victim := c.nodes[2]
	replica := victim.Replica()
	require.NoError(t, victim.Close())
	c.nodes[2] = nil
	more := writeRandom(t, c.nodes[:2], keys, 30, 6)
	for k, v := range more {
		want[k] += v
	}

	back := c.start(2)
	assert.Equal(t, replica, back.Replica(), "the replica id must survive a restart")
	c.waitConverged(keys)
	checkTotals(t, c.nodes, want)

	// Writes after the restart count under the same replica, not a phantom one.
	require.NoError(t, replicate.Update(context.Background(), back, keys[0], newPN, func(p *counters.PNCounter) error { return p.Inc(1) }))
	want[keys[0]]++
	c.waitConverged(keys)
	checkTotals(t, c.nodes, want)
	pc, _ := replicate.GetAs[*counters.PNCounter](back, keys[0])
	writers := map[crdt.ReplicaID]bool{}
	for _, n := range c.nodes {
		writers[n.Replica()] = true
	}
	data, err := payload.Marshal(pc)
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`"r":"([^"]*)"`).FindAllStringSubmatch(string(data), -1) {
		assert.True(t, writers[crdt.ReplicaID(m[1])], "unknown writer %q in %s", m[1], data)
	}
}

func TestLateJoinAndLeave(t *testing.T) {
	c := newCluster(t, 3)
	keys := keysN(30)
	want := writeRandom(t, c.nodes, keys, 50, 7)
	c.waitConverged(keys)

	late := c.start(3)
	c.waitConverged(keys)
	checkTotals(t, []*replicate.Node{late}, want)

	require.NoError(t, c.nodes[0].Leave(context.Background()))
	c.nodes[0] = nil
	more := writeRandom(t, c.live(), keys, 30, 8)
	for k, v := range more {
		want[k] += v
	}
	c.waitConverged(keys)
	checkTotals(t, c.live(), want)
	require.Eventually(t, func() bool { return len(c.nodes[1].Members()) == 3 }, 30*time.Second, 50*time.Millisecond)
}
