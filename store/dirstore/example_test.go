package dirstore_test

import (
	"context"
	"fmt"
	"os"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/dirstore"
	"github.com/crdtkit/crdtkit/store/internal/testcrdt"
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
	s := testcrdt.NewGSet("alice")
	s.Add("bob")
	if _, err := st.MergeWrite(ctx, "friends/Alice", s); err != nil {
		fmt.Println(err)
	}
	data, _ := os.ReadFile(b.Path("friends/Alice"))
	fmt.Println(dirstore.EscapeKey("friends/Alice"))
	fmt.Println(string(data))
	// Output:
	// friends%2F!alice
	// {"state":{"elems":["bob"]},"type":"testcrdt.GSet","version":1}
}
