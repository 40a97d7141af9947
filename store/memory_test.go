package store_test

import (
	"context"
	"testing"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, func(context.Context, string) (store.Backend, error) {
		panic("the memory backend is not shared between processes")
	})
}

func TestMemory(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(testing.TB) (store.Backend, string) { return store.NewMemory(), "" },
		PutRaw: func(_ testing.TB, b store.Backend, key string, data []byte) {
			b.(*store.Memory).Put(key, data)
		},
		AppendRaw: func(_ testing.TB, b store.Backend, key string, entry []byte) {
			b.(*store.Memory).AppendRaw(key, entry)
		},
	})
}
