package registers_test

import (
	"fmt"
	"time"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/registers"
)

// Two replicas write the same register concurrently; after merging, both hold
// the write with the later timestamp, and the other write is gone.
func ExampleLWW() {
	// Fixed wall clocks make the output reproducible; b's runs 1 ms ahead.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := registers.NewLWWWithClock[string](crdt.NewClock("a", func() time.Time { return start }))
	b := registers.NewLWWWithClock[string](crdt.NewClock("b", func() time.Time { return start.Add(time.Millisecond) }))

	_ = a.Set("blue")
	_ = b.Set("green")
	_ = a.Merge(b)
	_ = b.Merge(a)
	fmt.Println(a.Value(), b.Value())

	// a's clock is behind, but its next write orders after what it has seen.
	_ = a.Set("red")
	_ = b.Merge(a)
	fmt.Println(b.Value(), b.Timestamp().Replica, b.Timestamp().Logical)

	data, _ := payload.Marshal(b)
	fmt.Println(string(data))
	// Output:
	// green green
	// red a 1
	// {"state":{"ts":{"l":1,"r":"a","w":1767225600001000000},"value":"red"},"type":"registers.LWW[string]","version":1}
}
