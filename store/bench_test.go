package store_test

import (
	"testing"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/storetest"
)

func BenchmarkMemory(b *testing.B) {
	storetest.Bench(b, storetest.Harness{
		New: func(testing.TB) (store.Backend, string) { return store.NewMemory(), "" },
	})
}
