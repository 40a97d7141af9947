package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/boltstore"
	"github.com/crdtkit/crdtkit/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, func(context.Context, string) (store.Backend, error) {
		return nil, errors.New("bbolt is single-process")
	})
}

var harness = storetest.Harness{
	New: func(t testing.TB) (store.Backend, string) {
		b, err := boltstore.Open(filepath.Join(t.TempDir(), "db.bolt"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return b, ""
	},
	PutRaw: func(t testing.TB, b store.Backend, key string, data []byte) {
		if err := b.(*boltstore.Backend).Put(key, data); err != nil {
			t.Fatal(err)
		}
	},
	AppendRaw: func(t testing.TB, b store.Backend, key string, entry []byte) {
		if err := b.(*boltstore.Backend).AppendRaw(key, entry); err != nil {
			t.Fatal(err)
		}
	},
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

// A second opener of the file fails after the timeout instead of hanging.
func TestSecondOpenFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.bolt")
	b, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Now()
	_, err = boltstore.Open(path, &boltstore.Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("second Open took %v", d)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	b2.Close()
}

// Records survive closing and reopening the file.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.bolt")
	ctx := context.Background()
	b, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "k", func(*store.Record) (string, []byte, error) { return "", []byte("v1"), nil }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := b.Load(ctx, "k"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Load after Close: %v, want ErrClosed", err)
	}
	b, err = boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.Load(ctx, "k")
	if err != nil || string(got.Snapshot) != "v1" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}
