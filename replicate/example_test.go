package replicate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/store"
)

// Two nodes on loopback: a counter incremented on one is read, converged,
// from the other.
func Example() {
	ctx := context.Background()
	a, err := replicate.Start(ctx, replicate.Config{
		Name:       "a",
		Backend:    store.NewMemory(), // a bbolt store in production
		Memberlist: replicate.FastMemberlistConfig(),
	})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	b, err := replicate.Start(ctx, replicate.Config{
		Name:       "b",
		Backend:    store.NewMemory(),
		Memberlist: replicate.FastMemberlistConfig(),
		Join:       []string{a.Addr()},
	})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	// The update is durable in a's backend when Update returns, then gossiped.
	err = replicate.Update(ctx, a, "visits", counters.NewPNCounter, func(c *counters.PNCounter) error {
		return c.Inc(3)
	})
	if err != nil {
		panic(err)
	}

	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, ok := replicate.GetAs[*counters.PNCounter](b, "visits"); ok && c.Value() == 3 {
			break
		}
	}
	c, _ := replicate.GetAs[*counters.PNCounter](b, "visits")
	fmt.Println("b sees", c.Value())
	fmt.Println("members:", b.Members())
	// Output:
	// b sees 3
	// members: [a b]
}
