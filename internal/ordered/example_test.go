package ordered_test

import (
	"fmt"

	"github.com/crdtkit/crdtkit/internal/ordered"
)

func Example() {
	var m ordered.Map[string, int]
	m.Set("pear", 3)
	m.Set("apple", 1)
	snapshot := m.Clone() // O(1), shares the tree
	m.Set("fig", 2)
	for k, v := range m.All() {
		fmt.Println(k, v)
	}
	fmt.Println(snapshot.Len(), snapshot.Has("fig"))
	// Output:
	// apple 1
	// fig 2
	// pear 3
	// 2 false
}
