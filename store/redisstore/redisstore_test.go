package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crdtkit/crdtkit/internal/testserver"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/redisstore"
	"github.com/crdtkit/crdtkit/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.ServeWorker(openSpec)
	code := m.Run()
	testserver.StopAll()
	os.Exit(code)
}

// A spec is "PREFIX URL".
func openSpec(ctx context.Context, spec string) (store.Backend, error) {
	prefix, url, _ := strings.Cut(spec, " ")
	return redisstore.Open(ctx, url, &redisstore.Options{Prefix: prefix})
}

var prefixes atomic.Int64

// fresh returns a backend on a key prefix of its own, and its spec.
func fresh(t testing.TB) (*redisstore.Backend, string) {
	url := testserver.Redis(t)
	prefix := fmt.Sprintf("crdtkit-test-%d-%d:", os.Getpid(), prefixes.Add(1))
	b, err := redisstore.Open(context.Background(), url, &redisstore.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return b, prefix + " " + url
}

var harness = storetest.Harness{
	New: func(t testing.TB) (store.Backend, string) { return fresh(t) },
	PutRaw: func(t testing.TB, b store.Backend, key string, data []byte) {
		if err := b.(*redisstore.Backend).Put(context.Background(), key, data); err != nil {
			t.Fatal(err)
		}
	},
	AppendRaw: func(t testing.TB, b store.Backend, key string, entry []byte) {
		rb := b.(*redisstore.Backend)
		if err := rb.Client().RPush(context.Background(), rb.LogKey(key), entry).Err(); err != nil {
			t.Fatal(err)
		}
	},
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

// Keys outside the prefix, including ones the prefix's glob would match
// unescaped, are not listed.
func TestListStaysInPrefix(t *testing.T) {
	url := testserver.Redis(t)
	ctx := context.Background()
	base := fmt.Sprintf("crdtkit-test-%d-glob", os.Getpid())
	b, err := redisstore.Open(ctx, url, &redisstore.Options{Prefix: base + "[ab]*:"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other, err := redisstore.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for _, k := range []string{base + "a:x", base + "b-:y", base + "[ab]*:zz"} {
		if err := other.Put(ctx, k, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := b.List(ctx, "")
	if err != nil || len(keys) != 1 || keys[0] != "zz" {
		t.Fatalf("List = %q, %v; want [zz]", keys, err)
	}
}
