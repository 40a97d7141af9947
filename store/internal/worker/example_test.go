package worker_test

import (
	"context"
	"fmt"
	"os"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/internal/worker"
)

// Example runs three acknowledged rounds against an in-memory store.
func Example() {
	ctx := context.Background()
	st, _ := store.New(store.NewMemory(), "w1")
	_ = worker.Run(ctx, st, "hits", "seen", 3, os.Stdout)

	c, _ := store.GetAs[*counters.PNCounter](ctx, st, "hits")
	s, _ := store.GetAs[*sets.ORSet[string]](ctx, st, "seen")
	fmt.Println(c.Value(), s.Len(), s.Contains(worker.Element("w1", 2)))
	// Output:
	// ack 0
	// ack 1
	// ack 2
	// 3 3 true
}
