package storetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/internal/testcrdt"
	"github.com/crdtkit/crdtkit/store/internal/worker"
)

// Harness describes a backend under test.
type Harness struct {
	// New returns an empty backend for one test, and a spec string that
	// the open function given to [Main] accepts in another process to reach
	// the same data, or "" if processes cannot share the backend (then the
	// multi-process tests are skipped). The suite closes the backend.
	New func(t testing.TB) (b store.Backend, spec string)
	// PutRaw stores data under key in b as a snapshot with no log and no
	// type, bypassing merge-writes: a record in the format from before the
	// log. The suite plants bad records and records of that format with it.
	PutRaw func(t testing.TB, b store.Backend, key string, data []byte)
	// AppendRaw appends entry to key's log in b as is, bypassing every
	// check, to plant a bad entry. nil skips the test that needs it.
	AppendRaw func(t testing.TB, b store.Backend, key string, entry []byte)
	// Tear damages the end of key's log as a crash in the middle of an
	// append would: the last entry is left partly written. nil for
	// backends whose appends are transactions and cannot tear.
	Tear func(t testing.TB, b store.Backend, key string)
}

// Writers and Rounds are the shape of the no-lost-update tests: Writers
// concurrent writers each merge-write Rounds increments and additions.
//
// Under the race detector the writers do RaceRounds instead: every
// merge-write decodes and re-encodes the whole set, which the detector slows
// about twentyfold, and 8x200 would take minutes per backend. The race
// detector looks for data races, which the shorter run exercises just as
// well; the full 8x200 proof is the run without -race.
const (
	Writers    = 8
	Rounds     = 200
	RaceRounds = 40
)

// rounds is the number of rounds each writer does in this build.
func rounds() int {
	if raceEnabled {
		return RaceRounds
	}
	return Rounds
}

const (
	envWorker  = "CRDTKIT_STORETEST_WORKER"
	envSpec    = "CRDTKIT_STORETEST_SPEC"
	envReplica = "CRDTKIT_STORETEST_REPLICA"
	envRounds  = "CRDTKIT_STORETEST_ROUNDS"
	envKeys    = "CRDTKIT_STORETEST_KEYS"
	envCompact = "CRDTKIT_STORETEST_COMPACT"
)

// compactAlways is a compaction rule that folds the log at every write.
var compactAlways = store.WithCompaction(store.Compaction{Ratio: 1e-9, MinBytes: 1})

// Main is called from a backend test package's TestMain. In a process
// started by the suite as a writer it opens the backend from the spec with
// open, runs the writer and exits; otherwise it runs the tests.
func Main(m *testing.M, open func(ctx context.Context, spec string) (store.Backend, error)) {
	ServeWorker(open)
	os.Exit(m.Run())
}

// ServeWorker is the first half of [Main], for a TestMain that has more to
// do: in a writer process started by the suite it runs the writer and exits;
// otherwise it returns at once.
func ServeWorker(open func(ctx context.Context, spec string) (store.Backend, error)) {
	if os.Getenv(envWorker) == "" {
		return
	}
	if err := runWorker(open); err != nil {
		fmt.Fprintln(os.Stderr, "storetest worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runWorker(open func(ctx context.Context, spec string) (store.Backend, error)) error {
	ctx := context.Background()
	b, err := open(ctx, os.Getenv(envSpec))
	if err != nil {
		return err
	}
	var opts []store.Option
	if os.Getenv(envCompact) != "" {
		opts = append(opts, compactAlways)
	}
	st, err := store.New(b, crdt.ReplicaID(os.Getenv(envReplica)), opts...)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := strconv.Atoi(os.Getenv(envRounds))
	if err != nil {
		return err
	}
	counterKey, setKey, ok := strings.Cut(os.Getenv(envKeys), "\n")
	if !ok {
		return errors.New("bad keys")
	}
	return worker.Run(ctx, st, counterKey, setKey, n, os.Stdout)
}

// Run runs the conformance suite against the backends h makes.
func Run(t *testing.T, h Harness) {
	t.Run("GetMissing", func(t *testing.T) { testGetMissing(t, h) })
	t.Run("MergeWrite", func(t *testing.T) { testMergeWrite(t, h) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, h) })
	t.Run("Compaction", func(t *testing.T) { testCompaction(t, h) })
	t.Run("OldFormat", func(t *testing.T) { testOldFormat(t, h) })
	t.Run("CorruptEntry", func(t *testing.T) { testCorruptEntry(t, h) })
	t.Run("TornEntry", func(t *testing.T) { testTornEntry(t, h) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, h) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, h) })
	t.Run("TypeMismatch", func(t *testing.T) { testTypeMismatch(t, h) })
	t.Run("BadData", func(t *testing.T) { testBadData(t, h) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, h) })
	t.Run("ConcurrentGoroutines", func(t *testing.T) { testConcurrentGoroutines(t, h) })
	t.Run("ConcurrentProcesses", func(t *testing.T) { testConcurrentProcesses(t, h) })
	t.Run("KilledWriter", func(t *testing.T) {
		t.Run("DuringAppend", func(t *testing.T) { testKilledWriter(t, h, false) })
		t.Run("DuringCompaction", func(t *testing.T) { testKilledWriter(t, h, true) })
	})
}

func newStore(t testing.TB, b store.Backend, replica crdt.ReplicaID, opts ...store.Option) *store.Store {
	t.Helper()
	st, err := store.New(b, replica, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func open(t testing.TB, h Harness) (store.Backend, string) {
	t.Helper()
	b, spec := h.New(t)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return b, spec
}

func tallyDelta(replica crdt.ReplicaID, n uint64) *testcrdt.Tally {
	c := testcrdt.NewTally(replica)
	c.Inc(n)
	d, _ := c.TakeDelta()
	return d
}

func gsetOf(elems ...string) *testcrdt.GSet {
	s := testcrdt.NewGSet("")
	for _, e := range elems {
		s.Add(e)
	}
	s.TakeDelta()
	return s
}

func load(t testing.TB, b store.Backend, key string) *store.Record {
	t.Helper()
	data, err := b.Load(context.Background(), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return data
}

// wantKeyErr checks that err is a *store.KeyError about key wrapping target.
func wantKeyErr(t testing.TB, err error, key string, target error) {
	t.Helper()
	var ke *store.KeyError
	switch {
	case err == nil:
		t.Fatalf("no error, want one wrapping %v for key %q", target, key)
	case !errors.As(err, &ke):
		t.Fatalf("error %v (%T) is not a *store.KeyError", err, err)
	case ke.Key != key:
		t.Fatalf("KeyError.Key = %q, want %q (error: %v)", ke.Key, key, err)
	case !strings.Contains(err.Error(), strconv.Quote(key)):
		t.Fatalf("error %q does not name key %q", err, key)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("error %v does not wrap %v", err, target)
	}
}

func testGetMissing(t *testing.T, h Harness) {
	b, _ := open(t, h)
	st := newStore(t, b, "r1")
	ctx := context.Background()
	_, err := st.Get(ctx, "missing")
	wantKeyErr(t, err, "missing", store.ErrNotFound)
	_, err = b.Load(ctx, "missing")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("backend Load of a missing key: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "a\x00b", "\xff", strings.Repeat("k", store.MaxKeyLen+1)} {
		err := st.MergeWrite(ctx, bad, tallyDelta("r1", 1))
		wantKeyErr(t, err, bad, store.ErrInvalidKey)
		_, err = st.Get(ctx, bad)
		wantKeyErr(t, err, bad, store.ErrInvalidKey)
	}
}

func testMergeWrite(t *testing.T, h Harness) {
	b, _ := open(t, h)
	ctx := context.Background()
	a := newStore(t, b, "a")
	c := newStore(t, b, "c")

	da, dc := tallyDelta("a", 3), tallyDelta("c", 4)
	if err := a.MergeWrite(ctx, "n", da); err != nil {
		t.Fatal(err)
	}
	if err := c.MergeWrite(ctx, "n", dc); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetAs[*testcrdt.Tally](ctx, a, "n")
	if err != nil {
		t.Fatal(err)
	}
	if got.Value() != 7 || got.Count("a") != 3 || got.Count("c") != 4 || got.Replica() != "a" {
		t.Fatalf("Get = %d (a=%d c=%d) bound to %q", got.Value(), got.Count("a"), got.Count("c"), got.Replica())
	}
	if _, ok := got.TakeDelta(); ok {
		t.Fatal("a state read back has a pending delta")
	}
	// The record is a log of the canonical payloads written, bound to
	// their type.
	rec := load(t, b, "n")
	if rec.Type != testcrdt.TallyType || rec.Snapshot != nil || len(rec.Log) != 2 {
		t.Fatalf("record after two merge-writes: type %q, snapshot %q, %d entries", rec.Type, rec.Snapshot, len(rec.Log))
	}
	for i, d := range []crdt.State{da, dc} {
		want, err := payload.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Log[i], want) {
			t.Fatalf("entry %d is %s, want the canonical payload %s", i, rec.Log[i], want)
		}
	}
	// Merging what is already there is idempotent.
	if err := a.MergeWrite(ctx, "n", tallyDelta("a", 3)); err != nil {
		t.Fatal(err)
	}
	if got, err := store.GetAs[*testcrdt.Tally](ctx, c, "n"); err != nil || got.Value() != 7 {
		t.Fatalf("after an idempotent merge-write: %v, %v", got, err)
	}
	// A compaction leaves the canonical payload of the merged state as
	// the snapshot and an empty log.
	always := newStore(t, b, "a", compactAlways)
	if err := always.MergeWrite(ctx, "n", tallyDelta("x", 1)); err != nil {
		t.Fatal(err)
	}
	if s := always.Stats(); s.Compactions != 1 || s.CompactionErrors != 0 {
		t.Fatalf("stats after a compacting merge-write: %+v (%v)", s, always.CompactionError())
	}
	got, err = store.GetAs[*testcrdt.Tally](ctx, a, "n")
	if err != nil || got.Value() != 8 {
		t.Fatalf("after compaction: %v, %v", got, err)
	}
	want, err := payload.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	rec = load(t, b, "n")
	if !bytes.Equal(rec.Snapshot, want) || len(rec.Log) != 0 || rec.Type != testcrdt.TallyType {
		t.Fatalf("compacted record: type %q, snapshot %s, %d entries; want snapshot %s", rec.Type, rec.Snapshot, len(rec.Log), want)
	}
	if st := a.Stats(); st.MergeWrites != 2 || st.Compactions != 0 {
		t.Fatalf("stats of a: %+v", st)
	}
	if _, err := store.GetAs[*testcrdt.GSet](ctx, a, "n"); !errors.Is(err, crdt.ErrTypeMismatch) {
		t.Fatalf("GetAs of the wrong type: %v", err)
	}
}

// testUpdate: the read-modify-write starts from the stored state, so a
// second process with the same replica id (a restart) adds to it instead of
// starting again from nothing.
func testUpdate(t *testing.T, h Harness) {
	b, _ := open(t, h)
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		st := newStore(t, b, "replica-a")
		got, err := store.Update(ctx, st, "likes", counters.NewPNCounter, func(c *counters.PNCounter) error { return c.Inc(4) })
		if err != nil {
			t.Fatal(err)
		}
		if got.Value() != int64(4*run) {
			t.Fatalf("run %d: Update returned %d, want %d", run, got.Value(), 4*run)
		}
		set, err := store.Update(ctx, st, "items", sets.NewORSet[string], func(s *sets.ORSet[string]) error {
			return s.Add(fmt.Sprintf("item%d", run))
		})
		if err != nil {
			t.Fatal(err)
		}
		if set.Len() != run {
			t.Fatalf("run %d: set has %d elements", run, set.Len())
		}
	}
	st := newStore(t, b, "reader")
	c, err := store.GetAs[*counters.PNCounter](ctx, st, "likes")
	if err != nil || c.Value() != 8 {
		t.Fatalf("after two runs: %v, %v; want 8", c, err)
	}
	set, err := store.GetAs[*sets.ORSet[string]](ctx, st, "items")
	if err != nil || !set.Contains("item1") || !set.Contains("item2") {
		t.Fatalf("after two runs the set is %v, %v", set, err)
	}
	// A failing mutation writes nothing; so does one that changes nothing.
	before := load(t, b, "likes")
	boom := errors.New("boom")
	_, err = store.Update(ctx, st, "likes", counters.NewPNCounter, func(c *counters.PNCounter) error {
		c.Inc(100)
		return boom
	})
	wantKeyErr(t, err, "likes", boom)
	if _, err := store.Update(ctx, st, "likes", counters.NewPNCounter, func(*counters.PNCounter) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if after := load(t, b, "likes"); !reflect.DeepEqual(before, after) {
		t.Fatalf("a failed or empty update changed the record")
	}
	// Another type under the key is refused.
	_, err = store.Update(ctx, st, "likes", sets.NewORSet[string], func(s *sets.ORSet[string]) error { return s.Add("x") })
	wantKeyErr(t, err, "likes", crdt.ErrTypeMismatch)
	_, err = store.Update[*counters.PNCounter](ctx, st, "missing", nil, func(*counters.PNCounter) error { return nil })
	wantKeyErr(t, err, "missing", store.ErrNotFound)
}

// testCompaction: the log is folded often enough to stay within the rule.
func testCompaction(t *testing.T, h Harness) {
	b, _ := open(t, h)
	ctx := context.Background()
	st := newStore(t, b, "r")
	set := sets.NewORSet[string]("r")
	const n = 150
	var biggest int64
	for i := range n {
		if err := set.Add(fmt.Sprintf("element-%03d", i)); err != nil {
			t.Fatal(err)
		}
		d, _ := set.TakeDelta()
		if p, _ := payload.Marshal(d); int64(len(p)) > biggest {
			biggest = int64(len(p))
		}
		if err := st.MergeWrite(ctx, "set", d); err != nil {
			t.Fatal(err)
		}
	}
	s := st.Stats()
	if s.Compactions == 0 || s.CompactionErrors != 0 {
		t.Fatalf("%d writes: stats %+v (%v)", n, s, st.CompactionError())
	}
	rec := load(t, b, "set")
	var logBytes int64
	for _, e := range rec.Log {
		logBytes += int64(len(e))
	}
	limit := max(store.DefaultCompaction.MinBytes, int64(store.DefaultCompaction.Ratio*float64(len(rec.Snapshot)))) + 2*biggest
	if logBytes > limit {
		t.Fatalf("log holds %d bytes in %d entries beside a %d-byte snapshot; the rule allows about %d", logBytes, len(rec.Log), len(rec.Snapshot), limit)
	}
	got, err := store.GetAs[*sets.ORSet[string]](ctx, st, "set")
	if err != nil || got.Len() != n {
		t.Fatalf("read back %v elements, %v", got.Len(), err)
	}
	t.Logf("%d writes, %d compactions; log %d bytes in %d entries, snapshot %d bytes", n, s.Compactions, logBytes, len(rec.Log), len(rec.Snapshot))
}

// testOldFormat: a record in the format from before the log (a snapshot
// alone, no type) loads, and the first merge-write migrates it.
func testOldFormat(t *testing.T, h Harness) {
	b, _ := open(t, h)
	ctx := context.Background()
	old := counters.NewPNCounter("w")
	old.Inc(41)
	oldSet := sets.NewORSet[string]("w")
	oldSet.Add("old")
	for key, s := range map[string]crdt.State{"counter": old, "set": oldSet} {
		p, err := payload.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		h.PutRaw(t, b, key, p)
	}
	st := newStore(t, b, "r")
	c, err := store.GetAs[*counters.PNCounter](ctx, st, "counter")
	if err != nil || c.Value() != 41 {
		t.Fatalf("old counter: %v, %v", c, err)
	}
	if _, err := store.Update(ctx, st, "counter", counters.NewPNCounter, func(c *counters.PNCounter) error { return c.Inc(1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(ctx, st, "set", sets.NewORSet[string], func(s *sets.ORSet[string]) error { return s.Add("new") }); err != nil {
		t.Fatal(err)
	}
	if s := st.Stats(); s.Migrations != 2 {
		t.Fatalf("stats after the first writes: %+v, want 2 migrations", s)
	}
	if rec := load(t, b, "counter"); rec.Type != counters.PNCounterTypeName || rec.Snapshot == nil {
		t.Fatalf("migrated record: type %q, snapshot %q", rec.Type, rec.Snapshot)
	}
	// Later writes append.
	if _, err := store.Update(ctx, st, "counter", counters.NewPNCounter, func(c *counters.PNCounter) error { return c.Inc(1) }); err != nil {
		t.Fatal(err)
	}
	if s := st.Stats(); s.Migrations != 2 || s.MergeWrites != 3 {
		t.Fatalf("stats: %+v", s)
	}
	if rec := load(t, b, "counter"); len(rec.Log) != 1 {
		t.Fatalf("after migration a write appended %d entries", len(rec.Log))
	}
	c, err = store.GetAs[*counters.PNCounter](ctx, st, "counter")
	if err != nil || c.Value() != 43 {
		t.Fatalf("counter: %v, %v; want 43", c, err)
	}
	set, err := store.GetAs[*sets.ORSet[string]](ctx, st, "set")
	if err != nil || !slices.Equal(set.Elements(), []string{"new", "old"}) {
		t.Fatalf("set: %v, %v", set, err)
	}
}

// testCorruptEntry: an entry that does not decode (no Store writes one; it
// must have been planted) makes reads fail naming the key, and neither reads
// nor compactions drop the acknowledged entries around it.
func testCorruptEntry(t *testing.T, h Harness) {
	if h.AppendRaw == nil {
		t.Skip("the harness cannot plant log entries")
	}
	b, _ := open(t, h)
	ctx := context.Background()
	st := newStore(t, b, "r", compactAlways)
	plain := newStore(t, b, "r")
	for i := range 3 {
		if err := plain.MergeWrite(ctx, "k", tallyDelta(replicaName(i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	h.AppendRaw(t, b, "k", []byte(`{"state":{"counts":[{"n":-1,"r":"x"}]},"type":"testcrdt.Tally","version":1}`))
	if err := plain.MergeWrite(ctx, "k", tallyDelta("w9", 1)); err != nil {
		t.Fatalf("append after a bad entry: %v", err)
	}
	_, err := st.Get(ctx, "k")
	wantKeyErr(t, err, "k", store.ErrCorrupt)
	if !strings.Contains(err.Error(), "log entry 3") {
		t.Fatalf("error %q does not name the entry", err)
	}
	// A compaction fails and keeps every entry.
	if err := st.MergeWrite(ctx, "k", tallyDelta("w10", 1)); err != nil {
		t.Fatalf("merge-write: %v", err)
	}
	if s := st.Stats(); s.CompactionErrors != 1 || !errors.Is(st.CompactionError(), store.ErrCorrupt) {
		t.Fatalf("stats %+v, last compaction error %v", s, st.CompactionError())
	}
	rec := load(t, b, "k")
	if len(rec.Log) != 6 {
		t.Fatalf("log holds %d entries, want the 5 acknowledged and the bad one", len(rec.Log))
	}
	for i, e := range append(rec.Log[:3:3], rec.Log[4:]...) {
		if _, err := payload.Unmarshal(e, "x"); err != nil {
			t.Fatalf("acknowledged entry %d damaged: %v", i, err)
		}
	}
}

// testTornEntry: a log whose last entry was torn by a crash reads without
// it, reports it, and the next append cuts it off; no acknowledged entry is
// lost.
func testTornEntry(t *testing.T, h Harness) {
	if h.Tear == nil {
		t.Skip("appends of this backend are transactions and cannot tear")
	}
	b, _ := open(t, h)
	ctx := context.Background()
	st := newStore(t, b, "r")
	for i := range 5 {
		if err := st.MergeWrite(ctx, "k", tallyDelta(replicaName(i), 1)); err != nil {
			t.Fatal(err)
		}
	}
	h.Tear(t, b, "k")
	got, err := store.GetAs[*testcrdt.Tally](ctx, st, "k")
	if err != nil || got.Value() != 5 {
		t.Fatalf("after a torn append: %v, %v; want the 5 acknowledged", got, err)
	}
	if d := st.Stats().DroppedEntries; d != 1 {
		t.Fatalf("DroppedEntries = %d, want 1", d)
	}
	if err := st.MergeWrite(ctx, "k", tallyDelta("w9", 1)); err != nil {
		t.Fatal(err)
	}
	rec := load(t, b, "k")
	if rec.Dropped != 0 || len(rec.Log) != 6 {
		t.Fatalf("after the next append: %d entries, %d dropped", len(rec.Log), rec.Dropped)
	}
	got, err = store.GetAs[*testcrdt.Tally](ctx, st, "k")
	if err != nil || got.Value() != 6 {
		t.Fatalf("read back %v, %v; want 6", got, err)
	}
}

// awkwardKeys exercise escaping in every backend: glob and LIKE characters,
// path separators, dots, upper case, spaces and non-ASCII.
var awkwardKeys = []string{
	"a", "a/b", "a/c", "a/b/c", "ab", "A", "a*", "a?", "a[x]", "a\\", "a%", "a_", "a.b", ".a", "..", "a b",
	"é", "日本", "a!", "a~", "-", "a:b", "con", "a\nb", "a\"b",
}

func testKeys(t *testing.T, h Harness) {
	b, _ := open(t, h)
	st := newStore(t, b, "r")
	ctx := context.Background()
	for i, k := range awkwardKeys {
		if err := st.MergeWrite(ctx, k, tallyDelta("r", uint64(i+1))); err != nil {
			t.Fatalf("MergeWrite(%q): %v", k, err)
		}
	}
	for i, k := range awkwardKeys {
		got, err := store.GetAs[*testcrdt.Tally](ctx, st, k)
		if err != nil {
			t.Fatalf("Get(%q): %v", k, err)
		}
		if got.Value() != uint64(i+1) {
			t.Fatalf("Get(%q) = %d, want %d: keys share a record", k, got.Value(), i+1)
		}
	}
	for _, prefix := range []string{"", "a", "a/", "a/b", "a*", "a?", "a[", "a\\", "a%", "a_", ".", "é", "z", "A"} {
		var want []string
		for _, k := range awkwardKeys {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		slices.Sort(want)
		got, err := st.List(ctx, prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		if len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
			t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
}

func testDelete(t *testing.T, h Harness) {
	b, _ := open(t, h)
	st := newStore(t, b, "r")
	ctx := context.Background()
	for _, k := range []string{"x", "y"} {
		if err := st.MergeWrite(ctx, k, tallyDelta("r", 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Delete(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(ctx, "never-there"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	_, err := st.Get(ctx, "x")
	wantKeyErr(t, err, "x", store.ErrNotFound)
	if keys, err := st.List(ctx, ""); err != nil || !slices.Equal(keys, []string{"y"}) {
		t.Fatalf("List after delete = %q, %v", keys, err)
	}
	if err := st.MergeWrite(ctx, "x", tallyDelta("r", 1)); err != nil {
		t.Fatalf("merge-write after delete: %v", err)
	}
	if got, err := store.GetAs[*testcrdt.Tally](ctx, st, "x"); err != nil || got.Value() != 1 {
		t.Fatalf("after delete and merge-write: %v, %v; want 1", got, err)
	}
}

func testTypeMismatch(t *testing.T, h Harness) {
	b, _ := open(t, h)
	st := newStore(t, b, "r")
	ctx := context.Background()
	if err := st.MergeWrite(ctx, "k", tallyDelta("r", 5)); err != nil {
		t.Fatal(err)
	}
	before := load(t, b, "k")
	err := st.MergeWrite(ctx, "k", gsetOf("x"))
	wantKeyErr(t, err, "k", crdt.ErrTypeMismatch)
	if after := load(t, b, "k"); !reflect.DeepEqual(before, after) {
		t.Fatalf("failed merge-write changed the record: %+v -> %+v", before, after)
	}
	// So is one into a record from before the log.
	old, _ := payload.Marshal(tallyDelta("w", 2))
	h.PutRaw(t, b, "old", old)
	err = st.MergeWrite(ctx, "old", gsetOf("x"))
	wantKeyErr(t, err, "old", crdt.ErrTypeMismatch)
	if rec := load(t, b, "old"); !bytes.Equal(rec.Snapshot, old) || rec.Type != "" || len(rec.Log) != 0 {
		t.Fatalf("failed merge-write changed an old record: %+v", rec)
	}
}

func testBadData(t *testing.T, h Harness) {
	good, err := payload.Marshal(func() crdt.State {
		c := testcrdt.NewTally("w")
		c.Inc(41)
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	set, err := payload.Marshal(gsetOf("p", "q"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		// Get succeeds for a valid record of another type; GetAs and
		// merge-writes fail.
		wrongType bool
	}{
		{"truncated", good[:len(good)/2], false},
		{"empty", []byte{}, false},
		{"not-json", []byte("hello, world"), false},
		{"binary", []byte{0xff, 0x00, 0xfe, '{'}, false},
		{"wrong-type", set, true},
		{"unknown-type", bytes.Replace(good, []byte(testcrdt.TallyType), []byte("nosuch.Type"), 1), false},
		{"hand-edited-count", bytes.Replace(good, []byte(`"n":41`), []byte(`"n":-41`), 1), false},
		{"hand-edited-field", bytes.Replace(good, []byte(`"counts"`), []byte(`"countz"`), 1), false},
		{"newer-version", bytes.Replace(good, []byte(`"version":1`), []byte(`"version":9`), 1), false},
		{"trailing", append(slices.Clone(good), []byte(` {}`)...), false},
		{"json-null", []byte("null"), false},
	}
	b, _ := open(t, h)
	ctx := context.Background()
	st := newStore(t, b, "r")
	for _, c := range cases {
		if !c.wrongType && bytes.Equal(c.data, good) {
			t.Fatalf("case %s does not change the payload", c.name)
		}
		key := "bad/" + c.name
		h.PutRaw(t, b, key, c.data)
		if rec := load(t, b, key); !bytes.Equal(rec.Snapshot, c.data) || rec.Snapshot == nil || rec.Type != "" || len(rec.Log) != 0 {
			t.Fatalf("%s: PutRaw stored %q, read back %+v", c.name, c.data, rec)
		}
	}
	if err := st.MergeWrite(ctx, "good", tallyDelta("r", 1)); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "bad/" + c.name
			if c.wrongType {
				if _, err := st.Get(ctx, key); err != nil {
					t.Fatalf("Get of a valid record of another type: %v", err)
				}
				_, err := store.GetAs[*testcrdt.Tally](ctx, st, key)
				wantKeyErr(t, err, key, crdt.ErrTypeMismatch)
				err = st.MergeWrite(ctx, key, tallyDelta("r", 1))
				wantKeyErr(t, err, key, crdt.ErrTypeMismatch)
			} else {
				_, err := st.Get(ctx, key)
				wantKeyErr(t, err, key, store.ErrCorrupt)
				if !errors.Is(err, payload.ErrInvalid) && !errors.Is(err, payload.ErrUnknownType) && !errors.Is(err, payload.ErrNewerVersion) {
					t.Fatalf("error %v does not carry the decoder's cause", err)
				}
				_, err = store.GetAs[*testcrdt.Tally](ctx, st, key)
				wantKeyErr(t, err, key, store.ErrCorrupt)
				err = st.MergeWrite(ctx, key, tallyDelta("r", 1))
				wantKeyErr(t, err, key, store.ErrCorrupt)
			}
			if rec := load(t, b, key); !bytes.Equal(rec.Snapshot, c.data) || len(rec.Log) != 0 {
				t.Fatalf("the bad record was changed: %q -> %+v", c.data, rec)
			}
			// Other keys keep working.
			if err := st.MergeWrite(ctx, "good", tallyDelta("r", 2)); err != nil {
				t.Fatalf("merge-write of another key: %v", err)
			}
			if _, err := store.GetAs[*testcrdt.Tally](ctx, st, "good"); err != nil {
				t.Fatalf("get of another key: %v", err)
			}
		})
	}
	keys, err := st.List(ctx, "bad/")
	if err != nil || len(keys) != len(cases) {
		t.Fatalf("List(bad/) = %q, %v; want the %d bad keys", keys, err, len(cases))
	}
}

func testCanceled(t *testing.T, h Harness) {
	b, _ := open(t, h)
	st := newStore(t, b, "r")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := st.MergeWrite(ctx, "k", tallyDelta("r", 1))
	wantKeyErr(t, err, "k", context.Canceled)
	_, err = st.Get(ctx, "k")
	wantKeyErr(t, err, "k", context.Canceled)
	if _, err := st.List(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("List with a canceled context: %v", err)
	}
	if _, err := st.Get(context.Background(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a canceled merge-write wrote something: %v", err)
	}
}

func replicaName(i int) crdt.ReplicaID { return crdt.ReplicaID(fmt.Sprintf("w%d", i)) }

// checkFinal verifies that the counter and set hold every acknowledged round
// of each replica: at least acked[r] and, if exact, exactly that many.
func checkFinal(t *testing.T, b store.Backend, counterKey, setKey string, acked map[crdt.ReplicaID]int, exact bool) {
	t.Helper()
	ctx := context.Background()
	st := newStore(t, b, "checker")
	counter, err := store.GetAs[*counters.PNCounter](ctx, st, counterKey)
	if err != nil {
		t.Fatalf("reading the counter: %v", err)
	}
	incs := counter.Incs()
	set, err := store.GetAs[*sets.ORSet[string]](ctx, st, setKey)
	if err != nil {
		t.Fatalf("reading the set: %v", err)
	}
	var total uint64
	for r, n := range acked {
		got := incs.Count(r)
		total += uint64(n)
		if got < uint64(n) || (exact && got != uint64(n)) {
			t.Errorf("replica %s: counter holds %d increments, %d acknowledged: lost updates", r, got, n)
		}
		missing := 0
		for i := range n {
			if !set.Contains(worker.Element(r, i)) {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("replica %s: %d of %d acknowledged set additions lost", r, missing, n)
		}
	}
	if exact && (counter.Value() != int64(total) || set.Len() != int(total)) {
		t.Errorf("counter = %d, set has %d elements, want %d", counter.Value(), set.Len(), total)
	}
}

func testConcurrentGoroutines(t *testing.T, h Harness) {
	b, _ := open(t, h)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, Writers)
	stats := make([]store.Stats, Writers)
	for i := range Writers {
		st := newStore(t, b, replicaName(i))
		wg.Go(func() {
			if err := worker.Run(ctx, st, "counter", "set", rounds(), io.Discard); err != nil {
				errs <- fmt.Errorf("writer %d: %w", i, err)
			}
			stats[i] = st.Stats()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	acked := map[crdt.ReplicaID]int{}
	var mw, retries uint64
	for i := range Writers {
		acked[replicaName(i)] = rounds()
		mw += stats[i].MergeWrites
		retries += stats[i].Retries
	}
	checkFinal(t, b, "counter", "set", acked, true)
	t.Logf("%d writers x %d rounds: %d merge-writes, %d conflict retries (%.3f per merge-write)", Writers, rounds(), mw, retries, float64(retries)/float64(mw))
}

func workerCmd(t *testing.T, spec string, replica crdt.ReplicaID, rounds int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envWorker+"=1",
		envSpec+"="+spec,
		envReplica+"="+string(replica),
		envRounds+"="+strconv.Itoa(rounds),
		envKeys+"=counter\nset",
	)
	return cmd
}

func testConcurrentProcesses(t *testing.T, h Harness) {
	b, spec := open(t, h)
	if spec == "" {
		t.Skip("this backend is single-process")
	}
	type result struct {
		out []byte
		err error
	}
	results := make([]result, Writers)
	var wg sync.WaitGroup
	for i := range Writers {
		cmd := workerCmd(t, spec, replicaName(i), rounds())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		wg.Go(func() {
			out, err := cmd.Output()
			if err != nil {
				err = fmt.Errorf("writer process %d: %w: %s", i, err, stderr.Bytes())
			}
			results[i] = result{out, err}
		})
	}
	wg.Wait()
	acked := map[crdt.ReplicaID]int{}
	for i, r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		acked[replicaName(i)] = bytes.Count(r.out, []byte("ack "))
		if acked[replicaName(i)] != rounds() {
			t.Fatalf("writer process %d acknowledged %d rounds, want %d", i, acked[replicaName(i)], rounds())
		}
	}
	checkFinal(t, b, "counter", "set", acked, true)
}

// testKilledWriter runs writer processes, kills one with SIGKILL after it
// has acknowledged some rounds, and checks that the store is readable and
// holds every acknowledged round, and that the others can go on writing.
// With compacting, the victim folds the log at every write, so that the kill
// most likely lands in a compaction; otherwise most of its time is spent
// appending.
func testKilledWriter(t *testing.T, h Harness, compacting bool) {
	b, spec := open(t, h)
	if spec == "" {
		t.Skip("this backend is single-process")
	}
	const (
		others     = 3
		killAfter  = 25
		otherRound = 60
	)
	victim := crdt.ReplicaID("victim")
	cmd := workerCmd(t, spec, victim, -1)
	if compacting {
		cmd.Env = append(cmd.Env, envCompact+"=1")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var wg sync.WaitGroup
	otherErrs := make([]error, others)
	for i := range others {
		oc := workerCmd(t, spec, replicaName(i), otherRound)
		var oerr bytes.Buffer
		oc.Stderr = &oerr
		wg.Go(func() {
			if out, err := oc.Output(); err != nil {
				otherErrs[i] = fmt.Errorf("writer %d: %w: %s", i, err, oerr.Bytes())
			} else if n := bytes.Count(out, []byte("ack ")); n != otherRound {
				otherErrs[i] = fmt.Errorf("writer %d acknowledged %d rounds", i, n)
			}
		})
	}
	sc := bufio.NewScanner(stdout)
	acks := 0
	deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ack ") {
			acks++
		}
		if acks == killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	if !killed {
		t.Fatalf("victim stopped after %d acknowledgements: %v %s", acks, sc.Err(), stderr.Bytes())
	}
	// Acknowledgements already in the pipe count too.
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ack ") {
			acks++
		}
	}
	werr := cmd.Wait()
	if ee, ok := werr.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("victim did not die of SIGKILL: %v", werr)
	}
	wg.Wait()
	for _, err := range otherErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	acked := map[crdt.ReplicaID]int{victim: acks}
	for i := range others {
		acked[replicaName(i)] = otherRound
	}
	checkFinal(t, b, "counter", "set", acked, false)
	// The key is not left locked: a new writer gets through.
	st := newStore(t, b, "after")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	after := counters.NewPNCounter("after")
	after.Inc(1)
	if err := st.MergeWrite(ctx, "counter", after); err != nil {
		t.Fatalf("merge-write after the kill: %v", err)
	}
	keys, err := st.List(ctx, "")
	if err != nil || !slices.Equal(keys, []string{"counter", "set"}) {
		t.Fatalf("List after the kill = %q, %v", keys, err)
	}
	t.Logf("victim acknowledged %d rounds before SIGKILL", acks)
}
