package testcrdt_test

import (
	"fmt"

	"github.com/crdtkit/crdtkit/store/internal/testcrdt"
)

// Example merges two replicas' tallies.
func Example() {
	a, b := testcrdt.NewTally("a"), testcrdt.NewTally("b")
	a.Inc(2)
	b.Inc(3)
	_ = a.Merge(b)
	fmt.Println(a.Value(), a.Count("b"))
	// Output: 5 3
}
