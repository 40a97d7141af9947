package pgstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/pgstore"
)

// Opening a store on a server (not run: it needs one).
func ExampleOpen() {
	ctx := context.Background()
	b, err := pgstore.Open(ctx, "postgres://app@127.0.0.1:5432/app?sslmode=disable", &pgstore.Options{Table: "crdt_payloads"})
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.New(b, "replica-1")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
}

// Table names are plain SQL identifiers.
func ExampleNew() {
	_, err := pgstore.New(nil, &pgstore.Options{Table: "Payloads"})
	fmt.Println(err)
	b, err := pgstore.New(nil, nil)
	fmt.Println(b.Table(), err)
	// Output:
	// pgstore: invalid table name "Payloads"
	// "crdtkit_records" <nil>
}
