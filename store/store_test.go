package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/store"
)

// conflicting wraps a backend and, on each Update, first runs fn on the
// current record, then lets another writer change the record, then reruns
// fn, as an optimistic backend does after losing a race.
type conflicting struct {
	*store.Memory
	intruder func(ctx context.Context)
}

func (c *conflicting) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	old, err := c.Load(ctx, key)
	exists := err == nil
	if _, err := fn(old, exists); err != nil {
		return 0, err
	}
	c.intruder(ctx)
	n, err := c.Memory.Update(ctx, key, fn)
	return n + 1, err
}

func TestMergeWriteRerun(t *testing.T) {
	ctx := context.Background()
	mem := store.NewMemory()
	other, _ := store.New(mem, "other")
	b := &conflicting{Memory: mem, intruder: func(ctx context.Context) {
		c := counters.NewPNCounter("other")
		c.Inc(10)
		if _, err := other.MergeWrite(ctx, "k", c); err != nil {
			t.Error(err)
		}
	}}
	st, _ := store.New(b, "me")
	c := counters.NewPNCounter("me")
	c.Inc(1)
	merged, err := st.MergeWrite(ctx, "k", c)
	if err != nil {
		t.Fatal(err)
	}
	if v := merged.(*counters.PNCounter).Value(); v != 11 {
		t.Fatalf("merged after a rerun = %d, want 11 (the intruder's 10 and our 1)", v)
	}
	got, err := store.GetAs[*counters.PNCounter](ctx, st, "k")
	if err != nil || got.Value() != 11 {
		t.Fatalf("stored %v, %v", got, err)
	}
	if s := st.Stats(); s.MergeWrites != 1 || s.Writes != 1 || s.Retries != 1 {
		t.Fatalf("stats %+v, want 1 merge-write, 1 write, 1 retry", s)
	}
}

type unregistered struct{ *counters.PNCounter }

func (unregistered) TypeName() string { return "nowhere.Registered" }

func TestMergeWriteRejects(t *testing.T) {
	ctx := context.Background()
	st, _ := store.New(store.NewMemory(), "me")
	_, err := st.MergeWrite(ctx, "k", unregistered{counters.NewPNCounter("me")})
	if !errors.Is(err, payload.ErrUnknownType) {
		t.Fatalf("unregistered type: %v", err)
	}
	_, err = st.MergeWrite(ctx, "k", nil)
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
	if _, err := store.New(nil, "r"); err == nil {
		t.Fatal("nil backend accepted")
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
	_, err = st.MergeWrite(ctx, "k", c)
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
