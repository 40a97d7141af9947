// Command friendship is the crdtkit rewrite of the original toolbox's
// Friendship example: who follows whom, as a CRDT composed of two
// last-writer-wins sets per user, persisted as JSON payloads.
//
// Each run loads every user's Friendship from the store, lets two simulated
// replicas, A and B, follow and unfollow independently (so they diverge),
// exchanges their deltas so they converge, prints the result and merge-writes
// it back. Running it again continues from the saved state: the actions of a
// run depend on the run number, which is kept in the store as a counter.
//
// Usage:
//
//	go run ./examples/friendship [-store URL | -dir PATH]
//
// The store is a bbolt file under the OS temporary directory by default;
// -store dir:PATH (or -dir PATH) keeps one JSON file per user in a directory,
// and -store postgres://... or redis://... use those servers. Each replica's
// id is created on the first run and stored beside the data, so a replica
// keeps its identity across runs. Run one instance at a time on a store: two
// processes using the same stored ids at once would be two live instances of
// one replica, which the CRDT contract forbids (the bbolt default refuses a
// second process anyway).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/store"
)

// The default store.
const (
	defaultDir = "crdtkit-friendship" // under os.TempDir()
	boltFile   = "friendship.db"
)

// keys are the store keys the program uses, all under one namespace.
type keys struct {
	users    string // + user name: the user's Friendship payload
	replicas string // the replicas' ids, a plain JSON object
	runs     string // a counters.GCounter of completed runs
}

// keysIn returns the keys under namespace ns ("" for the program; tests on
// shared servers use their own).
func keysIn(ns string) keys {
	return keys{users: ns + "friendship/", replicas: ns + "meta/replicas", runs: ns + "meta/runs"}
}

// users are the people of the simulation.
var users = []string{"alice", "bob", "carol", "dave", "erin"}

func main() {
	storeURL := flag.String("store", "", "keep the payloads in the store at `URL`: dir:PATH, bolt:FILE, postgres://..., redis://... (default: a bbolt file in "+filepath.Join(os.TempDir(), defaultDir)+")")
	dir := flag.String("dir", "", "keep the payloads as JSON files in the directory `PATH` (same as -store dir:PATH)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "friendship: unexpected arguments:", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, config{store: *storeURL, dir: *dir, out: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, "friendship:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	store string    // -store
	dir   string    // -dir
	out   io.Writer // where the report goes
	ns    string    // prefix of every key (tests); "" in the program
}

// action is one follow or unfollow by one replica.
type action struct {
	unfollow  bool
	who, whom string
}

func (a action) String() string {
	if a.unfollow {
		return a.who + " unfollows " + a.whom
	}
	return a.who + " follows " + a.whom
}

// schedule returns what replicas A and B do in run n (1, 2, ...). It
// rotates through the users so every run adds new follows, and from the
// second run on B undoes the first follow A made in the previous run, so a
// run visibly continues the one before. No action of A touches a pair B
// touches in the same run, so the outcome does not depend on timestamps.
func schedule(n int) (a, b []action) {
	u := func(i int) string { return users[((i%len(users))+len(users))%len(users)] }
	a = []action{
		{who: u(n - 1), whom: u(n)},
		{who: u(n + 1), whom: u(n - 1)},
	}
	b = []action{{who: u(n + 2), whom: u(n - 1)}}
	if n >= 2 {
		b = append(b, action{unfollow: true, who: u(n - 2), whom: u(n - 1)})
	}
	return a, b
}

func apply(g *Graph, acts []action) error {
	for _, a := range acts {
		var err error
		if a.unfollow {
			err = g.Unfollow(a.who, a.whom)
		} else {
			err = g.Follow(a.who, a.whom)
		}
		if err != nil {
			return fmt.Errorf("%v: %w", a, err)
		}
	}
	return nil
}

// result is what a run did, for tests.
type result struct {
	Run       uint64
	ReplicaA  crdt.ReplicaID
	ReplicaB  crdt.ReplicaID
	Following map[string][]string // converged: user -> whom they follow
	Followers map[string][]string // converged: user -> who follows them
	Identical bool                // A's and B's payloads byte-identical
	Bytes     int                 // total size of the users' payloads
}

// run is the whole program after flag parsing.
func run(ctx context.Context, cfg config) (*result, error) {
	out := cfg.out
	backend, where, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer backend.Close()
	fmt.Fprintln(out, "store:", where)

	k := keysIn(cfg.ns)
	ids, err := replicaIDs(ctx, backend, k.replicas)
	if err != nil {
		return nil, err
	}
	// One Store per replica over the same backend: states read through a
	// Store are bound to its replica.
	stA, err := store.New(backend, ids.A)
	if err != nil {
		return nil, err
	}
	stB, err := store.New(backend, ids.B)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "replica A: %s\nreplica B: %s\n", ids.A, ids.B)

	runs, err := loadRuns(ctx, stA, k.runs)
	if err != nil {
		return nil, err
	}
	n := runs.Value() + 1
	fmt.Fprintf(out, "run %d\n", n)

	ga, gb := NewGraph(ids.A), NewGraph(ids.B)
	loaded, err := loadGraph(ctx, stA, k.users, ga)
	if err != nil {
		return nil, err
	}
	if _, err := loadGraph(ctx, stB, k.users, gb); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "loaded %d users from the store\n", loaded)

	// Diverge.
	actsA, actsB := schedule(int(n))
	if err := apply(ga, actsA); err != nil {
		return nil, fmt.Errorf("replica A: %w", err)
	}
	if err := apply(gb, actsB); err != nil {
		return nil, fmt.Errorf("replica B: %w", err)
	}
	fmt.Fprintf(out, "\nreplica A, offline: %s\n", join(actsA))
	fmt.Fprintf(out, "replica B, offline: %s\n", join(actsB))
	fmt.Fprintf(out, "before sync: A sees %d follows, B sees %d\n", countFollows(ga), countFollows(gb))

	// Converge by exchanging deltas: only what each replica did.
	deltaA, deltaB := ga.TakeDeltas(), gb.TakeDeltas()
	sizeA, err := payloadSize(deltaA)
	if err != nil {
		return nil, err
	}
	sizeB, err := payloadSize(deltaB)
	if err != nil {
		return nil, err
	}
	if err := gb.MergeAll(deltaA); err != nil {
		return nil, err
	}
	if err := ga.MergeAll(deltaB); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "sync: A sent %d bytes of deltas, B sent %d\n", sizeA, sizeB)

	res := &result{
		Run: n, ReplicaA: ids.A, ReplicaB: ids.B,
		Following: map[string][]string{}, Followers: map[string][]string{},
		Identical: true,
	}
	fmt.Fprintln(out, "\nconverged:")
	for _, u := range union(ga.Users(), gb.Users()) {
		pa, err := payload.Marshal(ga.User(u))
		if err != nil {
			return nil, err
		}
		pb, err := payload.Marshal(gb.User(u))
		if err != nil {
			return nil, err
		}
		same := string(pa) == string(pb)
		res.Identical = res.Identical && same
		res.Bytes += len(pa)
		res.Following[u], res.Followers[u] = ga.Following(u), ga.Followers(u)
		fmt.Fprintf(out, "  %-6s follows %-20s followed by %-20s (%d bytes, A = B: %v)\n",
			u, list(res.Following[u]), list(res.Followers[u]), len(pa), same)
	}
	fmt.Fprintf(out, "%d users, %d bytes of payloads; A's and B's payloads byte-identical: %v\n",
		len(res.Following), res.Bytes, yesNo(res.Identical))
	if !res.Identical {
		return res, errors.New("replicas did not converge")
	}

	// Persist: each replica merge-writes its state. The second write
	// merges a state equal to the first, which changes nothing (merges are
	// idempotent).
	for _, u := range ga.Users() {
		if err := stA.MergeWrite(ctx, k.users+u, ga.User(u)); err != nil {
			return nil, err
		}
		if err := stB.MergeWrite(ctx, k.users+u, gb.User(u)); err != nil {
			return nil, err
		}
	}
	if err := runs.Inc(1); err != nil {
		return nil, err
	}
	d, _ := runs.TakeDelta()
	if err := stA.MergeWrite(ctx, k.runs, d); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "saved; run again to continue from here\n")
	return res, nil
}

// replicas holds the simulated replicas' ids.
type replicas struct {
	A crdt.ReplicaID `json:"a"`
	B crdt.ReplicaID `json:"b"`
}

// replicaIDs returns the replicas' ids stored in the backend, creating and
// storing new ones on the first run. The record is created in one atomic
// update, so two first runs racing agree on the ids.
func replicaIDs(ctx context.Context, b store.Backend, key string) (replicas, error) {
	var ids replicas
	_, err := b.Update(ctx, key, func(cur *store.Record) (string, []byte, error) {
		if cur != nil {
			ids = replicas{}
			if err := payload.DecodeStrict(cur.Snapshot, &ids); err != nil {
				return "", nil, fmt.Errorf("reading the replica ids in %q: %w", key, err)
			}
			if ids.A == "" || ids.B == "" || ids.A == ids.B {
				return "", nil, fmt.Errorf("reading the replica ids in %q: need two distinct non-empty ids, have %q and %q", key, ids.A, ids.B)
			}
			return "", nil, nil // keep the record
		}
		ids = replicas{A: crdt.NewReplicaID(), B: crdt.NewReplicaID()}
		data, err := json.Marshal(ids)
		return "", data, err
	})
	return ids, err
}

// loadRuns returns the counter of completed runs, bound to st's replica.
func loadRuns(ctx context.Context, st *store.Store, key string) (*counters.GCounter, error) {
	c, err := store.GetAs[*counters.GCounter](ctx, st, key)
	if errors.Is(err, store.ErrNotFound) {
		return counters.NewGCounter(st.Replica()), nil
	}
	return c, err
}

// loadGraph merges every stored Friendship into g and returns how many
// there were.
func loadGraph(ctx context.Context, st *store.Store, prefix string, g *Graph) (int, error) {
	keys, err := st.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		f, err := store.GetAs[*compound.Struct[Friendship]](ctx, st, k)
		if err != nil {
			return 0, err
		}
		if err := g.Put(strings.TrimPrefix(k, prefix), f); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

func payloadSize(states map[string]*compound.Struct[Friendship]) (int, error) {
	n := 0
	for _, s := range states {
		b, err := payload.Marshal(s)
		if err != nil {
			return 0, err
		}
		n += len(b)
	}
	return n, nil
}

func countFollows(g *Graph) int {
	n := 0
	for _, u := range g.Users() {
		n += len(g.Following(u))
	}
	return n
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func join(acts []action) string {
	parts := make([]string, len(acts))
	for i, a := range acts {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "nobody"
	}
	return strings.Join(xs, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
