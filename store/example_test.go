package store_test

import (
	"context"
	"fmt"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/internal/testcrdt"
)

// Two replicas merge-write increments of one counter; the stored state holds
// both.
func Example() {
	ctx := context.Background()
	backend := store.NewMemory()
	alice, _ := store.New(backend, "alice")
	bob, _ := store.New(backend, "bob")

	a := testcrdt.NewTally("alice")
	a.Inc(2)
	delta, _ := a.TakeDelta()
	if _, err := alice.MergeWrite(ctx, "visits", delta); err != nil {
		fmt.Println(err)
	}
	b := testcrdt.NewTally("bob")
	b.Inc(3)
	delta, _ = b.TakeDelta()
	merged, err := bob.MergeWrite(ctx, "visits", delta)
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("merged:", merged.(*testcrdt.Tally).Value())

	got, err := store.GetAs[*testcrdt.Tally](ctx, alice, "visits")
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
