package boltstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/boltstore"
)

func Example() {
	dir, _ := os.MkdirTemp("", "boltstore-example-")
	defer os.RemoveAll(dir)
	b, err := boltstore.Open(filepath.Join(dir, "crdt.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := store.New(b, "alice")
	defer st.Close()

	ctx := context.Background()
	likes, err := store.Update(ctx, st, "likes", counters.NewPNCounter, func(c *counters.PNCounter) error {
		return c.Inc(3)
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(likes.Value())

	// A second process would wait one second and fail.
	_, err = boltstore.Open(filepath.Join(dir, "crdt.db"), &boltstore.Options{Timeout: -1})
	fmt.Println(err != nil)
	// Output:
	// 3
	// true
}
