package storeurl_test

import (
	"context"
	"fmt"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/storeurl"
)

// A program takes the store's URL from a flag; "mem:" keeps it in memory.
func ExampleOpen() {
	ctx := context.Background()
	st, err := storeurl.Open(ctx, "mem:", "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	got, err := store.Update(ctx, st, "greetings", counters.NewPNCounter, func(c *counters.PNCounter) error {
		return c.Inc(1)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Value())
	// Output: 1
}
