package store_test

import (
	"context"
	"fmt"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/store"
)

// Two replicas update one counter; the stored state holds both increments.
// store.Update loads the stored state (or makes a new one), applies the
// mutation and writes only its delta.
func Example() {
	ctx := context.Background()
	backend := store.NewMemory()
	alice, _ := store.New(backend, "alice")
	bob, _ := store.New(backend, "bob")

	inc := func(n uint64) func(*counters.PNCounter) error {
		return func(c *counters.PNCounter) error { return c.Inc(n) }
	}
	if _, err := store.Update(ctx, alice, "visits", counters.NewPNCounter, inc(2)); err != nil {
		fmt.Println(err)
	}
	got, err := store.Update(ctx, bob, "visits", counters.NewPNCounter, inc(3))
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("bob's update:", got.Value())

	// A restarted alice (same replica id, a new Store) goes on from what
	// is stored instead of starting again from zero.
	alice, _ = store.New(backend, "alice")
	if _, err := store.Update(ctx, alice, "visits", counters.NewPNCounter, inc(1)); err != nil {
		fmt.Println(err)
	}
	stored, err := store.GetAs[*counters.PNCounter](ctx, alice, "visits")
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("stored:", stored.Value(), "bound to", stored.Replica())

	_, err = alice.Get(ctx, "nobody")
	fmt.Println(err)
	// Output:
	// bob's update: 5
	// stored: 6 bound to alice
	// store: get "nobody": store: key not found
}

// MergeWrite is for states that come from elsewhere, such as a delta
// received from another replica: it merges them into what is stored.
func ExampleStore_MergeWrite() {
	ctx := context.Background()
	st, _ := store.New(store.NewMemory(), "node-1")

	remote := counters.NewPNCounter("node-2") // another replica's state
	remote.Inc(7)
	delta, _ := remote.TakeDelta()
	if err := st.MergeWrite(ctx, "visits", delta); err != nil {
		fmt.Println(err)
	}
	got, _ := store.GetAs[*counters.PNCounter](ctx, st, "visits")
	fmt.Println(got.Value())
	// Output: 7
}
