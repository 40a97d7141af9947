package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/store/boltstore"
)

// step is one write of the demonstration's script: a follow or unfollow,
// or (with who empty) a visit on the shared counter.
type step struct {
	who, whom string
	unfollow  bool
}

func (s step) do(ctx context.Context, n *replicate.Node) error {
	if s.who == "" {
		return visit(ctx, n, 1)
	}
	return follow(ctx, n, s.who, s.whom, s.unfollow)
}

func visits(k int) []step { return make([]step, k) }

// The script. Each node acts for two users and no two nodes touch the same
// pair, so the converged values do not depend on the timing of concurrent
// writes; the three nodes do write the same keys concurrently (a follow
// changes the follower's and the followed user's Friendship) and the same
// counter.
var (
	phase1 = [3][]step{
		append([]step{{who: "alice", whom: "bob"}, {who: "alice", whom: "carol"}, {who: "alice", whom: "erin"}, {who: "bob", whom: "alice"}, {who: "bob", whom: "dave"}}, visits(5)...),
		append([]step{{who: "carol", whom: "alice"}, {who: "carol", whom: "dave"}, {who: "carol", whom: "frank"}, {who: "dave", whom: "erin"}}, visits(5)...),
		append([]step{{who: "erin", whom: "alice"}, {who: "erin", whom: "frank"}, {who: "frank", whom: "bob"}, {who: "frank", whom: "carol"}}, visits(5)...),
	}
	// During the partition node c is alone.
	phase2 = [3][]step{
		append([]step{{who: "alice", whom: "carol", unfollow: true}, {who: "bob", whom: "erin"}}, visits(3)...),
		append([]step{{who: "dave", whom: "frank"}}, visits(3)...),
		append([]step{{who: "erin", whom: "alice", unfollow: true}, {who: "frank", whom: "alice"}}, visits(4)...),
	}
	users = []string{"alice", "bob", "carol", "dave", "erin", "frank"}
)

// demoNode is one node of the demonstration with its transport.
type demoNode struct {
	*replicate.Node
	addr string // transport address, for partitions
}

// demo runs the three-node demonstration, printing its timeline to w.
func demo(ctx context.Context, w io.Writer) error {
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(w, "[%6.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	dir, err := os.MkdirTemp("", "crdtkit-cluster-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	network := &replicate.Network{}
	var nodes []demoNode
	defer func() {
		for _, n := range nodes {
			_ = n.Close()
		}
	}()
	for _, name := range []string{"a", "b", "c"} {
		tr, err := network.Transport("127.0.0.1")
		if err != nil {
			return err
		}
		b, err := boltstore.Open(filepath.Join(dir, name+".db"), nil)
		if err != nil {
			return err
		}
		mc := replicate.FastMemberlistConfig()
		mc.Transport = tr
		cfg := replicate.Config{Name: name, Backend: b, Memberlist: mc}
		if len(nodes) > 0 {
			cfg.Join = []string{nodes[0].Addr()}
		}
		n, err := replicate.Start(ctx, cfg)
		if err != nil {
			_ = b.Close()
			return fmt.Errorf("starting node %s: %w", name, err)
		}
		nodes = append(nodes, demoNode{Node: n, addr: tr.Addr()})
	}
	say("started nodes a, b, c on %s, %s, %s; bbolt stores in %s", nodes[0].addr, nodes[1].addr, nodes[2].addr, dir)
	if err := waitMembers(ctx, nodes, 3); err != nil {
		return err
	}

	if err := runPhase(ctx, nodes, phase1); err != nil {
		return err
	}
	say("concurrent writes: %s", countWrites(phase1))
	d, err := waitConverged(ctx, nodes, 10*time.Second)
	if err != nil {
		return err
	}
	say("converged %v after the last write", d.Round(time.Millisecond))

	network.Partition([]string{nodes[2].addr})
	say("partition: c is cut off from a and b")
	if err := runPhase(ctx, nodes, phase2); err != nil {
		return err
	}
	say("writes on both sides: %s", countWrites(phase2))
	// Hold the partition until the failure detectors have declared the
	// other side dead, as a real partition would (on a very slow machine
	// the wait gives up and the demo goes on).
	_ = waitMembers(ctx, nodes[:1], 2)
	_ = waitMembers(ctx, nodes[2:], 1)
	if err := ctx.Err(); err != nil {
		return err
	}
	say("a sees members %v, c sees %v; %d of %d keys differ between a and c",
		nodes[0].Members(), nodes[2].Members(), differing(nodes[0].Node, nodes[2].Node), len(nodes[0].Keys()))

	network.Heal()
	healed := time.Now()
	say("healed")
	if _, err := waitConverged(ctx, nodes, 60*time.Second); err != nil {
		return err
	}
	say("converged %v after the partition healed (a sees %v)", time.Since(healed).Round(time.Millisecond), nodes[0].Members())

	fmt.Fprintln(w)
	fmt.Fprintln(w, "node  writes  delta bytes  full-state bytes")
	var deltas, fulls, states, stateBytes, digests uint64
	for _, n := range nodes {
		s := n.Stats()
		deltas += s.DeltaBytesSent
		fulls += s.FullStateBytes
		states += s.StatesSent
		stateBytes += s.StateBytesSent
		digests += s.DigestBytesSent
		fmt.Fprintf(w, "%-4s  %6d  %11d  %16d\n", n.Name(), s.LocalUpdates, s.DeltaBytesSent, s.FullStateBytes)
	}
	fmt.Fprintf(w, "all   %6d  %11d  %16d\n", countAll(), deltas, fulls)
	fmt.Fprintf(w, "deltas sent %.1fx fewer bytes than full states over the same gossip; the gap grows with the states' size\n", float64(fulls)/float64(max(deltas, 1)))
	fmt.Fprintf(w, "anti-entropy: %d bytes of bucket hashes and digests, %d full states (%d bytes) to repair what the partition held back\n", digests, states, stateBytes)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "converged values (identical on every node):")
	v, _ := replicate.GetAs[*counters.PNCounter](nodes[0].Node, visitsKey)
	fmt.Fprintf(w, "  %-8s %d\n", "visits", v.Value())
	for _, u := range users {
		f, ok := replicate.GetAs[*compound.Struct[Friendship]](nodes[0].Node, friendshipPrefix+u)
		if !ok {
			continue
		}
		fl := f.Fields()
		fmt.Fprintf(w, "  %-8s follows %-20s followed by %s\n", u, list(fl.Following.Value()), list(fl.Followers.Value()))
	}
	return nil
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "-"
	}
	return strings.Join(xs, ",")
}

// runPhase runs each node's steps concurrently, one goroutine per node.
func runPhase(ctx context.Context, nodes []demoNode, steps [3][]step) error {
	var wg sync.WaitGroup
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, s := range steps[i] {
				if err := s.do(ctx, n.Node); err != nil {
					errs[i] = fmt.Errorf("node %s: %w", n.Name(), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// updates is the number of key updates of a script step: two for a follow.
func (s step) updates() int {
	if s.who == "" {
		return 1
	}
	return 2
}

func countWrites(steps [3][]step) string {
	var parts []string
	for i, ss := range steps {
		k := 0
		for _, s := range ss {
			k += s.updates()
		}
		parts = append(parts, fmt.Sprintf("%c %d", 'a'+i, k))
	}
	return strings.Join(parts, ", ") + " key updates"
}

func countAll() int {
	k := 0
	for _, ph := range [][3][]step{phase1, phase2} {
		for _, ss := range ph {
			for _, s := range ss {
				k += s.updates()
			}
		}
	}
	return k
}

// differing counts the keys whose digests differ between a and b.
func differing(a, b *replicate.Node) int {
	keys := map[string]bool{}
	for _, k := range append(a.Keys(), b.Keys()...) {
		keys[k] = true
	}
	k := 0
	for key := range keys {
		da, _ := a.Digest(key)
		db, _ := b.Digest(key)
		if da != db {
			k++
		}
	}
	return k
}

// converged reports whether every node holds the same keys with the same
// digests.
func converged(nodes []demoNode) bool {
	for _, n := range nodes[1:] {
		if len(n.Keys()) != len(nodes[0].Keys()) || differing(nodes[0].Node, n.Node) > 0 {
			return false
		}
	}
	return true
}

func waitConverged(ctx context.Context, nodes []demoNode, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for !converged(nodes) {
		if time.Since(start) > limit {
			return 0, fmt.Errorf("no convergence after %v", limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return time.Since(start), nil
}

// waitMembers waits until each node sees want live members.
func waitMembers(ctx context.Context, nodes []demoNode, want int) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, n := range nodes {
			ok = ok && len(n.Members()) == want
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("membership: want %d members", want)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
