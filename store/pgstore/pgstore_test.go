package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crdtkit/crdtkit/internal/testserver"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/pgstore"
	"github.com/crdtkit/crdtkit/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.ServeWorker(openSpec)
	code := m.Run()
	testserver.StopAll()
	os.Exit(code)
}

// A spec is "TABLE URL".
func openSpec(ctx context.Context, spec string) (store.Backend, error) {
	table, url, _ := strings.Cut(spec, " ")
	return pgstore.Open(ctx, url, &pgstore.Options{Table: table})
}

var tables atomic.Int64

// fresh returns a backend on a table of its own, and its spec.
func fresh(t testing.TB) (*pgstore.Backend, string) {
	url := testserver.Postgres(t)
	table := fmt.Sprintf("crdtkit_test_%d_%d", os.Getpid(), tables.Add(1))
	b, err := pgstore.Open(context.Background(), url, &pgstore.Options{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	return b, table + " " + url
}

var harness = storetest.Harness{
	New: func(t testing.TB) (store.Backend, string) { return fresh(t) },
	PutRaw: func(t testing.TB, b store.Backend, key string, data []byte) {
		if err := b.(*pgstore.Backend).Put(context.Background(), key, data); err != nil {
			t.Fatal(err)
		}
	},
	AppendRaw: func(t testing.TB, b store.Backend, key string, entry []byte) {
		pb := b.(*pgstore.Backend)
		if _, err := pb.Pool().Exec(context.Background(), `INSERT INTO `+pb.LogTable()+` (key, data) VALUES ($1, $2)`, key, entry); err != nil {
			t.Fatal(err)
		}
	},
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

// The jsonb column mirrors the record for queries, and the version counts
// writes.
func TestColumns(t *testing.T) {
	b, _ := fresh(t)
	defer b.Close()
	ctx := context.Background()
	rec := `{"state":{"elems":["a"]},"type":"testcrdt.GSet","version":1}`
	for range 2 {
		if _, err := b.Update(ctx, "k", func(*store.Record) (string, []byte, error) { return "", []byte(rec), nil }); err != nil {
			t.Fatal(err)
		}
	}
	var (
		typ, elem string
		version   int64
	)
	err := b.Pool().QueryRow(ctx, `SELECT type, payload->'state'->'elems'->>0, version FROM `+b.Table()+` WHERE key = 'k'`).Scan(&typ, &elem, &version)
	if err != nil {
		t.Fatal(err)
	}
	if typ != "testcrdt.GSet" || elem != "a" || version != 2 {
		t.Fatalf("type %q, elem %q, version %d", typ, elem, version)
	}
}

func TestBadTableName(t *testing.T) {
	if _, err := pgstore.New(nil, &pgstore.Options{Table: "x; DROP TABLE y"}); err == nil {
		t.Fatal("accepted a table name that is not an identifier")
	}
}

func TestNoJSONB(t *testing.T) {
	url := testserver.Postgres(t)
	ctx := context.Background()
	b, err := pgstore.Open(ctx, url, &pgstore.Options{Table: fmt.Sprintf("crdtkit_test_%d_nojsonb", os.Getpid()), NoJSONB: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defer b.Pool().Exec(ctx, `DROP TABLE `+b.Table())
	rec := `{"state":{"elems":["a"]},"type":"testcrdt.GSet","version":1}`
	if _, err := b.Update(ctx, "k", func(*store.Record) (string, []byte, error) { return "", []byte(rec), nil }); err != nil {
		t.Fatal(err)
	}
	var isNull bool
	var typ string
	if err := b.Pool().QueryRow(ctx, `SELECT payload IS NULL, type FROM `+b.Table()+` WHERE key = 'k'`).Scan(&isNull, &typ); err != nil {
		t.Fatal(err)
	}
	if !isNull || typ != "testcrdt.GSet" {
		t.Fatalf("payload NULL: %v, type %q", isNull, typ)
	}
	if got, err := b.Load(ctx, "k"); err != nil || string(got.Snapshot) != rec {
		t.Fatalf("Load = %+v, %v", got, err)
	}
}
