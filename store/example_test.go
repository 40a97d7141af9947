package store_test

import (
	"context"
	"fmt"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/store"
)

// Two replicas merge-write increments of one counter; the stored state holds
// both.
func Example() {
	ctx := context.Background()
	backend := store.NewMemory()
	alice, _ := store.New(backend, "alice")
	bob, _ := store.New(backend, "bob")

	a := counters.NewPNCounter("alice")
	a.Inc(2)
	delta, _ := a.TakeDelta()
	if _, err := alice.MergeWrite(ctx, "visits", delta); err != nil {
		fmt.Println(err)
	}
	b := counters.NewPNCounter("bob")
	b.Inc(3)
	delta, _ = b.TakeDelta()
	merged, err := bob.MergeWrite(ctx, "visits", delta)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("merged:", merged.(*counters.PNCounter).Value())

	got, err := store.GetAs[*counters.PNCounter](ctx, alice, "visits")
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("stored:", got.Value(), "bound to", got.Replica())

	_, err = alice.Get(ctx, "nobody")
	fmt.Println(err)
	// Output:
	// merged: 5
	// stored: 5 bound to alice
	// store: get "nobody": store: key not found
}
