package redisstore_test

import (
	"context"
	"fmt"
	"log"

	"github.com/redis/go-redis/v9"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/redisstore"
)

// Opening a store on a server (not run: it needs one).
func ExampleOpen() {
	ctx := context.Background()
	b, err := redisstore.Open(ctx, "redis://127.0.0.1:6379/0", &redisstore.Options{Prefix: "crdt:"})
	if err != nil {
		log.Fatal(err)
	}
	st, err := store.New(b, "replica-1")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
}

// A Backend can share a client the program already has; it does not close it.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	b := redisstore.New(client, &redisstore.Options{Prefix: "crdt:"})
	fmt.Println(b.Client() == client, b.Close())
	// Output: true <nil>
}
