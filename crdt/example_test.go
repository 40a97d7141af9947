package crdt_test

import (
	"fmt"
	"time"

	"github.com/crdtkit/crdtkit/crdt"
)

// Example shows the hybrid logical clock ordering a replica's writes after a
// timestamp it has seen from a replica whose wall clock runs ahead.
func Example() {
	wall := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	a := crdt.NewClock("a", func() time.Time { return wall })
	b := crdt.NewClock("b", func() time.Time { return wall.Add(time.Second) })

	fromB := b.Now()
	a.Observe(fromB)
	next := a.Now()
	fmt.Println(next.Compare(fromB) > 0, next.Wall == fromB.Wall, next.Logical)

	// The merged result of two states, leaving both alone.
	x, y := newMaxSet(1, 2), newMaxSet(3)
	m, _ := crdt.Merge(x, y)
	fmt.Println(len(m.items), len(x.items), len(y.items))
	// Output:
	// true true 1
	// 3 2 1
}
