package replicate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/require"

	pncounters "github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
)

// The figures of docs and /work/team/perf-replicate.md come from the
// TestFigure tests, which run only when this variable is set, because they
// take minutes (memberlist's default push/pull interval is 30s) and load the
// machine:
//
//	CRDTKIT_REPLICATE_FIGURES=1 go test ./replicate -run '^TestFigure' -v -timeout 30m
const figuresEnv = "CRDTKIT_REPLICATE_FIGURES"

func needFigures(t *testing.T) {
	if os.Getenv(figuresEnv) == "" {
		t.Skip("set " + figuresEnv + "=1 to measure the figures")
	}
}

// figureCluster starts n nodes on loopback behind one Network, each on a
// memory backend holding the records of preload (store key -> payload), so
// the nodes start converged.
func figureCluster(t testing.TB, n int, mc func() *memberlist.Config, preload map[string][]byte) (*Network, []*Node, []string) {
	t.Helper()
	ctx := context.Background()
	network := &Network{}
	var nodes []*Node
	var addrs []string
	for i := range n {
		b := store.NewMemory()
		for k, p := range preload {
			b.Put(dataPrefix+k, p)
		}
		tr, err := network.Transport("127.0.0.1")
		require.NoError(t, err)
		c := mc()
		c.Transport = tr
		cfg := Config{Name: fmt.Sprintf("node%d", i), Backend: b, Memberlist: c}
		if i > 0 {
			cfg.Join = []string{nodes[0].Addr()}
		}
		nd, err := Start(ctx, cfg)
		require.NoError(t, err)
		require.Zero(t, nd.Stats().CorruptAtStart)
		nodes = append(nodes, nd)
		addrs = append(addrs, tr.Addr())
	}
	t.Cleanup(func() {
		for _, nd := range nodes {
			_ = nd.Close()
		}
	})
	waitFor(t, 60*time.Second, "membership", func() bool {
		for _, nd := range nodes {
			if len(nd.Members()) != n {
				return false
			}
		}
		return true
	})
	return network, nodes, addrs
}

func waitFor(t testing.TB, limit time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not reached within %v", what, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// allConverged reports whether every node has every node's keys with equal
// digests, comparing bucket hashes first.
func allConverged(nodes []*Node) bool {
	nodes[0].mu.RLock()
	want := nodes[0].buckets
	nodes[0].mu.RUnlock()
	for _, n := range nodes[1:] {
		n.mu.RLock()
		same := n.buckets == want
		n.mu.RUnlock()
		if !same {
			return false
		}
	}
	return true
}

func sumStats(nodes []*Node) Stats {
	var s Stats
	for _, n := range nodes {
		x := n.Stats()
		s.LocalUpdates += x.LocalUpdates
		s.DeltaBytesSent += x.DeltaBytesSent
		s.FullStateBytes += x.FullStateBytes
		s.StatesSent += x.StatesSent
		s.StateBytesSent += x.StateBytesSent
		s.DigestBytesSent += x.DigestBytesSent
		s.OversizedDeltas += x.OversizedDeltas
	}
	return s
}

// waitQuiet waits until the nodes stop sending deltas: the gossip queues
// have used up their retransmissions.
func waitQuiet(t testing.TB, nodes []*Node) {
	last := sumStats(nodes).DeltaBytesSent
	stable := time.Now()
	waitFor(t, 60*time.Second, "quiet gossip", func() bool {
		now := sumStats(nodes).DeltaBytesSent
		if now != last {
			last, stable = now, time.Now()
		}
		return time.Since(stable) > time.Second
	})
}

// TestFigureDeltaBytesLargeORSet measures the bytes five nodes send for
// single-element adds to a 100k-element OR-set they all hold: deltas versus
// the same transmissions carrying the whole state.
func TestFigureDeltaBytesLargeORSet(t *testing.T) {
	needFigures(t)
	const elements, updates = 100_000, 5
	big := sets.NewORSet[string]("seed")
	for i := range elements {
		require.NoError(t, big.Add(fmt.Sprintf("member-%06d", i)))
	}
	big.TakeDelta()
	p, err := payload.Marshal(big)
	require.NoError(t, err)
	_, nodes, _ := figureCluster(t, 5, FastMemberlistConfig, map[string][]byte{"big": p})
	require.True(t, allConverged(nodes))

	before := sumStats(nodes)
	ctx := context.Background()
	start := time.Now()
	for i := range updates {
		require.NoError(t, Update(ctx, nodes[i%len(nodes)], "big", sets.NewORSet[string], func(s *sets.ORSet[string]) error {
			return s.Add(fmt.Sprintf("new-%03d", i))
		}))
	}
	writes := time.Since(start)
	conv := waitFor(t, 120*time.Second, "convergence", func() bool { return allConverged(nodes) })
	waitQuiet(t, nodes)
	after := sumStats(nodes)
	deltas := after.DeltaBytesSent - before.DeltaBytesSent
	full := after.FullStateBytes - before.FullStateBytes
	t.Logf("OR-set of %d elements: state payload %d bytes; 5 nodes, %d single-element adds (round-robin over the nodes) in %v, converged %v later",
		elements, len(p), updates, writes.Round(time.Millisecond), conv.Round(time.Millisecond))
	t.Logf("delta bytes sent (every transmission, all nodes): %d = %.0f per update", deltas, float64(deltas)/updates)
	t.Logf("same transmissions with full states: %d = %.0f per update; ratio %.0fx", full, float64(full)/updates, float64(full)/float64(max(deltas, 1)))
	t.Logf("full state once to each of 4 peers: %d per update; ratio %.0fx", 4*len(p), float64(4*len(p))*updates/float64(max(deltas, 1)))
	t.Logf("anti-entropy meanwhile: %d full states (%d bytes), %d digest bytes",
		after.StatesSent-before.StatesSent, after.StateBytesSent-before.StateBytesSent, after.DigestBytesSent-before.DigestBytesSent)
	if full < 100*deltas {
		t.Errorf("deltas are only %.1fx smaller than full states", float64(full)/float64(deltas))
	}
}

func pnPayloads(t testing.TB, keys int) map[string][]byte {
	out := make(map[string][]byte, keys)
	for i := range keys {
		c := pncounters.NewPNCounter("seed")
		require.NoError(t, c.Inc(uint64(i+1)))
		c.TakeDelta()
		p, err := payload.Marshal(c)
		require.NoError(t, err)
		out[fmt.Sprintf("key/%06d", i)] = p
	}
	return out
}

// TestFigureSteadyStateAntiEntropy measures what five converged nodes send
// for anti-entropy over a window, with 1k and 100k unchanged keys.
func TestFigureSteadyStateAntiEntropy(t *testing.T) {
	needFigures(t)
	const window = 10 * time.Second
	for _, keys := range []int{1_000, 100_000} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			_, nodes, _ := figureCluster(t, 5, FastMemberlistConfig, pnPayloads(t, keys))
			require.True(t, allConverged(nodes))
			// Every push/pull state is the same size: version, name,
			// address, 256 hashes.
			one := uint64(len((*delegate)(nodes[0]).LocalState(false)))
			before := sumStats(nodes)
			time.Sleep(window)
			after := sumStats(nodes)
			digest := after.DigestBytesSent - before.DigestBytesSent
			t.Logf("%d keys, 5 nodes, push/pull every %v, window %v: digest bytes sent %d (%.0f per node per second); %.1f push/pull states of %d bytes each per node per second",
				keys, FastMemberlistConfig().PushPullInterval, window, digest, float64(digest)/5/window.Seconds(),
				float64(digest)/float64(one)/5/window.Seconds(), one)
			t.Logf("full states sent %d, delta bytes %d", after.StatesSent-before.StatesSent, after.DeltaBytesSent-before.DeltaBytesSent)
			require.Zero(t, after.StatesSent-before.StatesSent)
			require.Zero(t, digest%one, "only push/pull states, no key digests, are sent")
		})
	}
}

// TestFigureConvergenceAfterHeal measures the time from healing a partition
// (2 nodes cut off from 3, writes on both sides, held until each side has
// declared the other dead) to convergence, for 5 nodes and 100 keys, with
// memberlist's LAN defaults and with FastMemberlistConfig.
func TestFigureConvergenceAfterHeal(t *testing.T) {
	needFigures(t)
	for _, tc := range []struct {
		name string
		mc   func() *memberlist.Config
	}{{"lan", memberlist.DefaultLANConfig}, {"fast", FastMemberlistConfig}} {
		t.Run(tc.name, func(t *testing.T) {
			network, nodes, addrs := figureCluster(t, 5, tc.mc, nil)
			keys := make([]string, 100)
			for i := range keys {
				keys[i] = fmt.Sprintf("counter/%03d", i)
			}
			figureWrites(t, nodes, keys, 20, 1)
			waitFor(t, 120*time.Second, "first convergence", func() bool { return allConverged(nodes) })

			network.Partition(addrs[:2], addrs[2:])
			figureWrites(t, nodes, keys, 20, 2)
			detect := waitFor(t, 120*time.Second, "failure detection", func() bool {
				return len(nodes[0].Members()) == 2 && len(nodes[4].Members()) == 3
			})
			network.Heal()
			d := waitFor(t, 600*time.Second, "convergence after the heal", func() bool { return allConverged(nodes) })
			members := waitFor(t, 600*time.Second, "membership after the heal", func() bool {
				return len(nodes[0].Members()) == 5 && len(nodes[4].Members()) == 5
			})
			s := sumStats(nodes)
			t.Logf("%s: failure detected %v after the partition's writes; converged %v after the heal (all 5 members again after %v); push/pull interval %v; full states sent overall %d",
				tc.name, detect.Round(time.Millisecond), d.Round(time.Millisecond), members.Round(time.Millisecond), tc.mc().PushPullInterval, s.StatesSent)
		})
	}
}

// figureWrites has every node make ops increments of random keys.
func figureWrites(t testing.TB, nodes []*Node, keys []string, ops int, seed uint64) {
	ctx := context.Background()
	for i, n := range nodes {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		for range ops {
			k := keys[rng.IntN(len(keys))]
			require.NoError(t, Update(ctx, n, k, pncounters.NewPNCounter, func(c *pncounters.PNCounter) error { return c.Inc(1) }))
		}
	}
}

// BenchmarkUpdate measures a local update of a counter on a node of a
// two-node cluster with a memory backend: persist the delta, re-encode and
// hash the state, queue the delta.
func BenchmarkUpdate(b *testing.B) {
	_, nodes, _ := figureCluster(b, 2, FastMemberlistConfig, nil)
	ctx := context.Background()
	inc := func(c *pncounters.PNCounter) error { return c.Inc(1) }
	for b.Loop() {
		if err := Update(ctx, nodes[0], "k", pncounters.NewPNCounter, inc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateLargeORSet measures a single-element add to an OR-set of
// 10k elements: the node re-encodes and hashes the whole state on every
// update to keep its digest, which dominates for large states.
func BenchmarkUpdateLargeORSet(b *testing.B) {
	big := sets.NewORSet[string]("seed")
	for i := range 10_000 {
		if err := big.Add(fmt.Sprintf("member-%06d", i)); err != nil {
			b.Fatal(err)
		}
	}
	big.TakeDelta()
	p, err := payload.Marshal(big)
	if err != nil {
		b.Fatal(err)
	}
	_, nodes, _ := figureCluster(b, 2, FastMemberlistConfig, map[string][]byte{"big": p})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		err := Update(ctx, nodes[0], "big", sets.NewORSet[string], func(s *sets.ORSet[string]) error {
			return s.Add(fmt.Sprintf("new-%d", i))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
