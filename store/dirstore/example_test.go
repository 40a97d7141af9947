package dirstore_test

import (
	"context"
	"fmt"
	"os"

	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/dirstore"
)

func Example() {
	dir, _ := os.MkdirTemp("", "dirstore-example-")
	defer os.RemoveAll(dir)
	b, err := dirstore.Open(dir, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := store.New(b, "alice")
	defer st.Close()

	ctx := context.Background()
	s := sets.NewORSet[string]("alice")
	s.Add("bob")
	if _, err := st.MergeWrite(ctx, "friends/Alice", s); err != nil {
		fmt.Println(err)
	}
	// The record is a human-readable file named after the escaped key.
	fmt.Println(dirstore.EscapeKey("friends/Alice"))
	_, err = os.Stat(b.Path("friends/Alice"))
	fmt.Println(err)
	got, _ := store.GetAs[*sets.ORSet[string]](ctx, st, "friends/Alice")
	fmt.Println(got.Elements())
	// Output:
	// friends%2F!alice
	// <nil>
	// [bob]
}
