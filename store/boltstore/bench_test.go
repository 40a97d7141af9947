package boltstore_test

import (
	"testing"

	"github.com/crdtkit/crdtkit/store/storetest"
)

func BenchmarkStore(b *testing.B) { storetest.Bench(b, harness) }
