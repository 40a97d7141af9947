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
	// PutRaw stores data under key in b as is, bypassing merge-writes, to
	// plant bad records.
	PutRaw func(t testing.TB, b store.Backend, key string, data []byte)
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
)

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
	st, err := store.New(b, crdt.ReplicaID(os.Getenv(envReplica)))
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
	t.Run("Keys", func(t *testing.T) { testKeys(t, h) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, h) })
	t.Run("TypeMismatch", func(t *testing.T) { testTypeMismatch(t, h) })
	t.Run("BadData", func(t *testing.T) { testBadData(t, h) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, h) })
	t.Run("ConcurrentGoroutines", func(t *testing.T) { testConcurrentGoroutines(t, h) })
	t.Run("ConcurrentProcesses", func(t *testing.T) { testConcurrentProcesses(t, h) })
	t.Run("KilledWriter", func(t *testing.T) { testKilledWriter(t, h) })
}

func newStore(t testing.TB, b store.Backend, replica crdt.ReplicaID) *store.Store {
	t.Helper()
	st, err := store.New(b, replica)
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

func load(t testing.TB, b store.Backend, key string) []byte {
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
		_, err := st.MergeWrite(ctx, bad, tallyDelta("r1", 1))
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

	merged, err := a.MergeWrite(ctx, "n", tallyDelta("a", 3))
	if err != nil {
		t.Fatal(err)
	}
	mt := merged.(*testcrdt.Tally)
	if mt.Value() != 3 || mt.Replica() != "a" {
		t.Fatalf("merged = %d bound to %q, want 3 bound to a", mt.Value(), mt.Replica())
	}
	if _, ok := mt.TakeDelta(); ok {
		t.Fatal("merged state has a pending delta")
	}
	merged, err = c.MergeWrite(ctx, "n", tallyDelta("c", 4))
	if err != nil {
		t.Fatal(err)
	}
	if v := merged.(*testcrdt.Tally).Value(); v != 7 {
		t.Fatalf("second merge-write gave %d, want 7", v)
	}
	got, err := store.GetAs[*testcrdt.Tally](ctx, a, "n")
	if err != nil {
		t.Fatal(err)
	}
	if got.Value() != 7 || got.Count("a") != 3 || got.Count("c") != 4 || got.Replica() != "a" {
		t.Fatalf("Get = %d (a=%d c=%d) bound to %q", got.Value(), got.Count("a"), got.Count("c"), got.Replica())
	}
	// The stored bytes are the canonical payload.
	want, err := payload.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if raw := load(t, b, "n"); !bytes.Equal(raw, want) {
		t.Fatalf("stored %s, want canonical %s", raw, want)
	}
	// Merging what is already there is idempotent and writes nothing.
	before := a.Stats()
	if _, err := a.MergeWrite(ctx, "n", tallyDelta("a", 3)); err != nil {
		t.Fatal(err)
	}
	after := a.Stats()
	if after.MergeWrites != before.MergeWrites+1 || after.Writes != before.Writes {
		t.Fatalf("idempotent merge-write: stats %+v -> %+v", before, after)
	}
	if raw := load(t, b, "n"); !bytes.Equal(raw, want) {
		t.Fatalf("idempotent merge-write changed the record to %s", raw)
	}
	if _, err := store.GetAs[*testcrdt.GSet](ctx, a, "n"); !errors.Is(err, crdt.ErrTypeMismatch) {
		t.Fatalf("GetAs of the wrong type: %v", err)
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
		if _, err := st.MergeWrite(ctx, k, tallyDelta("r", uint64(i+1))); err != nil {
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
		if _, err := st.MergeWrite(ctx, k, tallyDelta("r", 2)); err != nil {
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
	merged, err := st.MergeWrite(ctx, "x", tallyDelta("r", 1))
	if err != nil || merged.(*testcrdt.Tally).Value() != 1 {
		t.Fatalf("merge-write after delete: %v", err)
	}
}

func testTypeMismatch(t *testing.T, h Harness) {
	b, _ := open(t, h)
	st := newStore(t, b, "r")
	ctx := context.Background()
	if _, err := st.MergeWrite(ctx, "k", tallyDelta("r", 5)); err != nil {
		t.Fatal(err)
	}
	before := load(t, b, "k")
	_, err := st.MergeWrite(ctx, "k", gsetOf("x"))
	wantKeyErr(t, err, "k", crdt.ErrTypeMismatch)
	if after := load(t, b, "k"); !bytes.Equal(before, after) {
		t.Fatalf("failed merge-write changed the record: %s -> %s", before, after)
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
		if raw := load(t, b, key); !bytes.Equal(raw, c.data) {
			t.Fatalf("%s: PutRaw stored %q, read back %q", c.name, c.data, raw)
		}
	}
	if _, err := st.MergeWrite(ctx, "good", tallyDelta("r", 1)); err != nil {
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
				_, err = st.MergeWrite(ctx, key, tallyDelta("r", 1))
				wantKeyErr(t, err, key, crdt.ErrTypeMismatch)
			} else {
				_, err := st.Get(ctx, key)
				wantKeyErr(t, err, key, store.ErrCorrupt)
				if !errors.Is(err, payload.ErrInvalid) && !errors.Is(err, payload.ErrUnknownType) && !errors.Is(err, payload.ErrNewerVersion) {
					t.Fatalf("error %v does not carry the decoder's cause", err)
				}
				_, err = store.GetAs[*testcrdt.Tally](ctx, st, key)
				wantKeyErr(t, err, key, store.ErrCorrupt)
				_, err = st.MergeWrite(ctx, key, tallyDelta("r", 1))
				wantKeyErr(t, err, key, store.ErrCorrupt)
			}
			if raw := load(t, b, key); !bytes.Equal(raw, c.data) {
				t.Fatalf("the bad record was overwritten: %q -> %q", c.data, raw)
			}
			// Other keys keep working.
			if _, err := st.MergeWrite(ctx, "good", tallyDelta("r", 2)); err != nil {
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
	_, err := st.MergeWrite(ctx, "k", tallyDelta("r", 1))
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
func testKilledWriter(t *testing.T, h Harness) {
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
	if _, err := st.MergeWrite(ctx, "counter", after); err != nil {
		t.Fatalf("merge-write after the kill: %v", err)
	}
	keys, err := st.List(ctx, "")
	if err != nil || !slices.Equal(keys, []string{"counter", "set"}) {
		t.Fatalf("List after the kill = %q, %v", keys, err)
	}
	t.Logf("victim acknowledged %d rounds before SIGKILL", acks)
}
