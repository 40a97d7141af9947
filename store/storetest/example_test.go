package storetest_test

import (
	"fmt"
	"testing"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/storetest"
)

// A backend's test file builds a Harness, runs the suite from a test and the
// benchmarks from a benchmark, and lets the suite re-execute the test binary
// as a writer process from TestMain (storetest.Main).
func ExampleHarness() {
	harness := storetest.Harness{
		// A fresh memory backend per test; "" because processes cannot
		// share it, which skips the multi-process tests.
		New: func(testing.TB) (store.Backend, string) { return store.NewMemory(), "" },
		PutRaw: func(_ testing.TB, b store.Backend, key string, data []byte) {
			b.(*store.Memory).Put(key, data)
		},
	}
	_ = func(t *testing.T) { storetest.Run(t, harness) }
	_ = func(b *testing.B) { storetest.Bench(b, harness) }
	fmt.Printf("%d writers x %d rounds\n", storetest.Writers, storetest.Rounds)
	// Output: 8 writers x 200 rounds
}
