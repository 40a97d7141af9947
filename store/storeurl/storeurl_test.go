package storeurl_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/crdtkit/crdtkit/internal/testserver"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/boltstore"
	"github.com/crdtkit/crdtkit/store/dirstore"
	"github.com/crdtkit/crdtkit/store/internal/testcrdt"
	"github.com/crdtkit/crdtkit/store/pgstore"
	"github.com/crdtkit/crdtkit/store/redisstore"
	"github.com/crdtkit/crdtkit/store/storeurl"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopAll()
	os.Exit(code)
}

func roundTrip(t *testing.T, url string) store.Backend {
	t.Helper()
	ctx := context.Background()
	st, err := storeurl.Open(ctx, url, "r")
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { st.Close() })
	c := testcrdt.NewTally("r")
	c.Inc(2)
	if err := st.MergeWrite(ctx, "storeurl-test", c); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetAs[*testcrdt.Tally](ctx, st, "storeurl-test")
	if err != nil || got.Value() != 2 {
		t.Fatalf("read back %v, %v", got, err)
	}
	if err := st.Delete(ctx, "storeurl-test"); err != nil {
		t.Fatal(err)
	}
	return st.Backend()
}

func TestOpenLocal(t *testing.T) {
	dir := t.TempDir()
	if _, ok := roundTrip(t, "mem:").(*store.Memory); !ok {
		t.Error("mem: is not the memory store")
	}
	if _, ok := roundTrip(t, filepath.Join(dir, "plain.db")).(*boltstore.Backend); !ok {
		t.Error("a plain path is not a bbolt file")
	}
	if _, ok := roundTrip(t, "bolt:"+filepath.Join(dir, "b.db")).(*boltstore.Backend); !ok {
		t.Error("bolt: is not a bbolt file")
	}
	if _, ok := roundTrip(t, "dir:"+filepath.Join(dir, "records")).(*dirstore.Backend); !ok {
		t.Error("dir: is not the directory store")
	}
}

func TestOpenServers(t *testing.T) {
	if _, ok := roundTrip(t, testserver.Postgres(t)).(*pgstore.Backend); !ok {
		t.Error("postgres:// is not pgstore")
	}
	if _, ok := roundTrip(t, testserver.Redis(t)).(*redisstore.Backend); !ok {
		t.Error("redis:// is not redisstore")
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"", "ftp://host/x", "mem:x", "dir:", "bolt:"} {
		if _, err := storeurl.Open(ctx, url, "r"); err == nil {
			t.Errorf("Open(%q) succeeded", url)
		}
	}
	if _, err := storeurl.Open(ctx, "ftp://host/x", "r"); !errors.Is(err, storeurl.ErrUnknownScheme) {
		t.Errorf("unknown scheme: %v", err)
	}
	if _, err := storeurl.Open(ctx, "mem:", ""); err == nil {
		t.Error("Open with no replica succeeded")
	}
}
