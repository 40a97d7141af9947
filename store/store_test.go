package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/internal/testcrdt"
)

// conflicting wraps a backend and, on each Update, first runs fn on the
// current record, then lets another writer change the record, then reruns
// fn, as an optimistic backend does after losing a race.
type conflicting struct {
	*store.Memory
	intruder func(ctx context.Context)
}

func (c *conflicting) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	cur, err := c.Load(ctx, key)
	if err != nil {
		cur = nil
	}
	if _, _, err := fn(cur); err != nil {
		return 0, err
	}
	c.intruder(ctx)
	n, err := c.Memory.Update(ctx, key, fn)
	return n + 1, err
}

// A migration that another writer overtakes is rerun on the newer record
// and keeps both writes.
func TestMigrationRerun(t *testing.T) {
	ctx := context.Background()
	mem := store.NewMemory()
	old := counters.NewPNCounter("old")
	old.Inc(40)
	p, _ := payload.Marshal(old)
	mem.Put("k", p)
	other, _ := store.New(mem, "other")
	b := &conflicting{Memory: mem, intruder: func(ctx context.Context) {
		c := counters.NewPNCounter("other")
		c.Inc(10)
		if err := other.MergeWrite(ctx, "k", c); err != nil {
			t.Error(err)
		}
	}}
	st, _ := store.New(b, "me")
	c := counters.NewPNCounter("me")
	c.Inc(1)
	if err := st.MergeWrite(ctx, "k", c); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetAs[*counters.PNCounter](ctx, st, "k")
	if err != nil || got.Value() != 51 {
		t.Fatalf("stored %v, %v; want 51 (the old 40, the intruder's 10 and our 1)", got, err)
	}
	if s := st.Stats(); s.MergeWrites != 1 || s.Migrations != 1 || s.Retries != 1 {
		t.Fatalf("stats %+v, want 1 merge-write, 1 migration, 1 retry", s)
	}
}

// The zero Store, and a nil one, report ErrNoBackend instead of panicking.
func TestZeroStore(t *testing.T) {
	ctx := context.Background()
	for _, st := range []*store.Store{{}, nil} {
		_, err := st.Get(ctx, "k")
		if !errors.Is(err, store.ErrNoBackend) {
			t.Fatalf("Get: %v", err)
		}
		var ke *store.KeyError
		if !errors.As(err, &ke) || ke.Key != "k" {
			t.Fatalf("Get error %v does not name the key", err)
		}
		if err := st.MergeWrite(ctx, "k", counters.NewPNCounter("r")); !errors.Is(err, store.ErrNoBackend) {
			t.Fatalf("MergeWrite: %v", err)
		}
		if _, err := store.Update(ctx, st, "k", counters.NewPNCounter, func(c *counters.PNCounter) error { return c.Inc(1) }); !errors.Is(err, store.ErrNoBackend) {
			t.Fatalf("Update: %v", err)
		}
		if _, err := st.List(ctx, ""); !errors.Is(err, store.ErrNoBackend) {
			t.Fatalf("List: %v", err)
		}
		if err := st.Delete(ctx, "k"); !errors.Is(err, store.ErrNoBackend) {
			t.Fatalf("Delete: %v", err)
		}
		if err := st.Close(); !errors.Is(err, store.ErrNoBackend) {
			t.Fatalf("Close: %v", err)
		}
		if st.Replica() != "" || st.Backend() != nil || st.Stats() != (store.Stats{}) || st.CompactionError() != nil {
			t.Fatal("accessors of the zero Store")
		}
	}
}

// picky is a Tally whose merge refuses, as crdt.ErrConflict, any state that
// counts for replica "twin": a stand-in for a second instance reusing a
// replica id.
type picky struct{ *testcrdt.Tally }

const pickyType = "storetest.Picky"

func (p picky) TypeName() string { return pickyType }

func (p picky) MergeState(o crdt.State) error {
	q, ok := o.(picky)
	if !ok {
		return fmt.Errorf("%w: %T", crdt.ErrTypeMismatch, o)
	}
	if q.Count("twin") > 0 && p.Count("twin") != q.Count("twin") {
		return fmt.Errorf("%w: replica twin wrote twice", crdt.ErrConflict)
	}
	return p.Merge(q.Tally)
}

func (p picky) CloneState() crdt.State { return picky{p.Clone()} }

func (p picky) TakeDeltaState() (crdt.State, bool) {
	d, ok := p.TakeDelta()
	if !ok {
		return nil, false
	}
	return picky{d}, true
}

func newPicky(r crdt.ReplicaID, counts map[crdt.ReplicaID]uint64) picky {
	p := picky{testcrdt.NewTally(r)}
	for id, n := range counts {
		q := testcrdt.NewTally(id)
		q.Inc(n)
		p.Merge(q)
	}
	return p
}

// A merge conflict surfaces as an error naming the key and the replica, and
// a migration that would merge it writes nothing.
func TestConflictNamesKeyAndReplica(t *testing.T) {
	ctx := context.Background()
	reg := &payload.Registry{}
	reg.MustRegister(payload.Type{Name: pickyType, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return picky{testcrdt.NewTally(r)} }})
	mem := store.NewMemory()
	st, _ := store.New(mem, "node-7", store.WithCodec(payload.Codec{Registry: reg}))

	if err := st.MergeWrite(ctx, "k", newPicky("a", map[crdt.ReplicaID]uint64{"twin": 1})); err != nil {
		t.Fatal(err)
	}
	// Appending does not merge, so the conflict shows when the log is
	// folded.
	if err := st.MergeWrite(ctx, "k", newPicky("b", map[crdt.ReplicaID]uint64{"twin": 2})); err != nil {
		t.Fatal(err)
	}
	checkConflict := func(err error, op, key string) {
		t.Helper()
		var ke *store.KeyError
		if !errors.Is(err, crdt.ErrConflict) || !errors.As(err, &ke) || ke.Key != key || ke.Op != op {
			t.Fatalf("%s: %v, want a *KeyError for %q wrapping crdt.ErrConflict", op, err, key)
		}
		if !strings.Contains(err.Error(), `"node-7"`) || !strings.Contains(err.Error(), strconv.Quote(key)) {
			t.Fatalf("error %q does not name the replica and the key", err)
		}
	}
	_, err := st.Get(ctx, "k")
	checkConflict(err, "get", "k")
	_, err = store.Update(ctx, st, "k", func(r crdt.ReplicaID) picky { return picky{testcrdt.NewTally(r)} }, func(picky) error { return nil })
	checkConflict(err, "update", "k")

	// An old record is merged at once, so the conflict is refused.
	p := newPicky("x", map[crdt.ReplicaID]uint64{"twin": 1})
	enc, err := payload.Codec{Registry: reg}.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	mem.Put("old", enc)
	err = st.MergeWrite(ctx, "old", newPicky("b", map[crdt.ReplicaID]uint64{"twin": 2}))
	checkConflict(err, "merge-write", "old")
	if rec, _ := mem.Load(ctx, "old"); !bytes.Equal(rec.Snapshot, enc) || rec.Type != "" || len(rec.Log) != 0 {
		t.Fatalf("a refused merge-write changed the record: %+v", rec)
	}
}

type unregistered struct{ *counters.PNCounter }

func (unregistered) TypeName() string { return "nowhere.Registered" }

func TestMergeWriteRejects(t *testing.T) {
	ctx := context.Background()
	st, _ := store.New(store.NewMemory(), "me")
	err := st.MergeWrite(ctx, "k", unregistered{counters.NewPNCounter("me")})
	if !errors.Is(err, payload.ErrUnknownType) {
		t.Fatalf("unregistered type: %v", err)
	}
	err = st.MergeWrite(ctx, "k", nil)
	var ke *store.KeyError
	if !errors.As(err, &ke) || ke.Key != "k" || ke.Op != "merge-write" {
		t.Fatalf("nil state: %v", err)
	}
	if _, err := st.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a rejected merge-write stored something: %v", err)
	}
}

func TestNew(t *testing.T) {
	if _, err := store.New(store.NewMemory(), ""); !errors.Is(err, crdt.ErrNoReplica) {
		t.Fatalf("empty replica: %v", err)
	}
	if _, err := store.New(nil, "r"); !errors.Is(err, store.ErrNoBackend) {
		t.Fatalf("nil backend: %v", err)
	}
	st, err := store.New(store.NewMemory(), "r", store.WithCodec(payload.Codec{Limits: payload.Limits{MaxBytes: 64}}))
	if err != nil {
		t.Fatal(err)
	}
	// The codec's limits apply to stored records and to what a
	// merge-write would store.
	ctx := context.Background()
	c := counters.NewPNCounter("a-replica-with-a-long-name-to-pass-the-limit")
	c.Inc(1)
	err = st.MergeWrite(ctx, "k", c)
	if !errors.Is(err, payload.ErrTooLarge) {
		t.Fatalf("merge-write beyond the codec's limit: %v", err)
	}
	if _, err := st.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an oversized record was written: %v", err)
	}
	big, err := payload.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	st.Backend().(*store.Memory).Put("k", big)
	if _, err := st.Get(ctx, "k"); !errors.Is(err, payload.ErrTooLarge) || !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("record beyond the codec's limit: %v", err)
	}
}
