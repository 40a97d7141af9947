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
	if _, err := store.Update(ctx, st, "friends/Alice", sets.NewORSet[string], func(s *sets.ORSet[string]) error {
		return s.Add("bob")
	}); err != nil {
		fmt.Println(err)
	}
	// The write went to the key's log, a file named after the escaped
	// key; the snapshot beside it is written by the first compaction.
	fmt.Println(dirstore.EscapeKey("friends/Alice"))
	_, err = os.Stat(b.LogPath("friends/Alice"))
	fmt.Println(err)
	got, _ := store.GetAs[*sets.ORSet[string]](ctx, st, "friends/Alice")
	fmt.Println(got.Elements())
	// Output:
	// friends%2F!alice
	// <nil>
	// [bob]
}
