package dirstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/dirstore"
	"github.com/crdtkit/crdtkit/store/storetest"
)

func TestMain(m *testing.M) {
	storetest.Main(m, func(_ context.Context, spec string) (store.Backend, error) {
		return dirstore.Open(spec, nil)
	})
}

var harness = storetest.Harness{
	New: func(t testing.TB) (store.Backend, string) {
		dir := filepath.Join(t.TempDir(), "records")
		b, err := dirstore.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b, dir
	},
	PutRaw: func(t testing.TB, b store.Backend, key string, data []byte) {
		if err := b.(*dirstore.Backend).Put(context.Background(), key, data); err != nil {
			t.Fatal(err)
		}
	},
	AppendRaw: func(t testing.TB, b store.Backend, key string, entry []byte) {
		if err := dirstore.AppendRaw(b.(*dirstore.Backend), key, entry); err != nil {
			t.Fatal(err)
		}
	},
	Tear: func(t testing.TB, b store.Backend, key string) {
		// A crash in the middle of an append leaves a frame cut short.
		path := b.(*dirstore.Backend).LogPath(key)
		frame := dirstore.Frame([]byte(`{"state":{"counts":[{"n":1,"r":"torn"}]},"type":"testcrdt.Tally","version":1}`))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(frame[:len(frame)/2]); err != nil {
			t.Fatal(err)
		}
	},
}

func TestConformance(t *testing.T) { storetest.Run(t, harness) }

func TestEscapeKey(t *testing.T) {
	for key, want := range map[string]string{
		"alice":         "alice",
		"Alice":         "!alice",
		"a/b":           "a%2Fb",
		".hidden":       "%2Ehidden",
		"a.b":           "a.b",
		"..":            "%2E.",
		"é":             "%C3%A9",
		"100%":          "100%25",
		"a!b":           "a%21b",
		"x y":           "x%20y",
		"user-1_2":      "user-1_2",
		"CON":           "!c!o!n",
		"friends/Bob~1": "friends%2F!bob%7E1",
	} {
		if got := dirstore.EscapeKey(key); got != want {
			t.Errorf("EscapeKey(%q) = %q, want %q", key, got, want)
		}
		if got, err := dirstore.UnescapeKey(want); err != nil || got != key {
			t.Errorf("UnescapeKey(%q) = %q, %v; want %q", want, got, err, key)
		}
	}
}

func TestUnescapeKeyRejects(t *testing.T) {
	for _, name := range []string{
		"", ".x", "%2e", "%41", "a%2", "%zz", "!", "!A", "!1", "A", "a b", "a/b",
		"a%2E", "%61", "%00", "%FF", "x%C3", "\xff", "~", "a~b",
	} {
		if key, err := dirstore.UnescapeKey(name); err == nil {
			t.Errorf("UnescapeKey(%q) = %q, want an error", name, key)
		}
	}
}

func FuzzUnescapeKey(f *testing.F) {
	for _, s := range []string{"alice", "!alice", "%2Ehidden", "a%2Fb", "%C3%A9", "%41", "!", "%2e", "a.b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		key, err := dirstore.UnescapeKey(name)
		if err != nil {
			return
		}
		if got := dirstore.EscapeKey(key); got != name {
			t.Fatalf("UnescapeKey(%q) = %q, which escapes to %q", name, key, got)
		}
	})
}

func FuzzEscapeKey(f *testing.F) {
	for _, s := range []string{"alice", "Alice", ".x", "a/b", "é", "..", "%", "!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		name := dirstore.EscapeKey(key)
		if strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\~\x00") || strings.ToLower(name) != name && !strings.ContainsAny(name, "%") {
			t.Fatalf("EscapeKey(%q) = %q is not a safe name", key, name)
		}
		got, err := dirstore.UnescapeKey(name)
		if store.ValidateKey(key) != nil {
			if err == nil {
				t.Fatalf("invalid key %q round-tripped", key)
			}
			return
		}
		if err != nil || got != key {
			t.Fatalf("UnescapeKey(EscapeKey(%q)) = %q, %v", key, got, err)
		}
	})
}

func TestLongKey(t *testing.T) {
	b, err := dirstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, _ := store.New(b, "r")
	ctx := context.Background()
	_, err = st.Get(ctx, strings.Repeat("/", dirstore.MaxNameLen/3+1))
	if !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("Get of a key too long for a file name: %v", err)
	}
	ok := strings.Repeat("k", dirstore.MaxNameLen)
	if _, err := b.Update(ctx, ok, func(*store.Record) (string, []byte, error) { return "", []byte("x"), nil }); err != nil {
		t.Fatalf("key of %d bytes: %v", len(ok), err)
	}
}

// List ignores temporary files, lock files and files that are not records.
func TestListIgnoresForeignFiles(t *testing.T) {
	dir := t.TempDir()
	b, err := dirstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if _, err := b.Update(ctx, "Key", func(*store.Record) (string, []byte, error) { return "", []byte("{}"), nil }); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".tmp~k", "README", "Bad Name.json", "%zz.json", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600)
	}
	os.Mkdir(filepath.Join(dir, "sub.json"), 0o700)
	keys, err := b.List(ctx, "")
	if err != nil || !slices.Equal(keys, []string{"Key"}) {
		t.Fatalf("List = %q, %v", keys, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "!key.json")); err != nil {
		t.Fatalf("record file: %v", err)
	}
}

// A writer waiting for a key held by another gives up when its context ends,
// and the lock is usable afterwards.
func TestLockWaitHonoursContext(t *testing.T) {
	b, err := dirstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	held := make(chan struct{})
	release := make(chan struct{})
	go b.Update(context.Background(), "k", func(*store.Record) (string, []byte, error) {
		close(held)
		<-release
		return "", []byte("first"), nil
	})
	<-held
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = b.Update(ctx, "k", func(*store.Record) (string, []byte, error) {
		t.Error("update ran while the key was locked")
		return "", nil, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting for a held lock: %v", err)
	}
	close(release)
	var got []byte
	if _, err := b.Update(context.Background(), "k", func(cur *store.Record) (string, []byte, error) {
		got = cur.Snapshot
		return "", nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if string(got) != "first" {
		t.Fatalf("record after the first writer = %q", got)
	}
}

func TestClosed(t *testing.T) {
	b, err := dirstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := b.Load(context.Background(), "k"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Load after Close: %v", err)
	}
}
