package main

import (
	"context"
	"github.com/crdtkit/crdtkit/internal/testserver"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/dirstore"
	"github.com/crdtkit/crdtkit/store/storeurl"
)

// stored reads what a run left in the directory store, independently of
// run: the follow edges per user, the replica ids and the run counter.
type stored struct {
	following map[string][]string
	followers map[string][]string
	ids       replicas
	runs      uint64
	writers   map[crdt.ReplicaID]bool // replica ids in the sets' timestamps
}

func readDir(t *testing.T, dir string) stored {
	t.Helper()
	b, err := dirstore.Open(dir, nil)
	require.NoError(t, err)
	defer b.Close()
	return readStore(t, b, "")
}

func readStore(t *testing.T, b store.Backend, ns string) stored {
	t.Helper()
	ctx := context.Background()
	k := keysIn(ns)
	st, err := store.New(b, "reader")
	require.NoError(t, err)

	var s stored
	s.ids, err = replicaIDs(ctx, b, k.replicas)
	require.NoError(t, err)
	c, err := store.GetAs[*counters.GCounter](ctx, st, k.runs)
	require.NoError(t, err)
	s.runs = c.Value()

	s.following, s.followers = map[string][]string{}, map[string][]string{}
	s.writers = map[crdt.ReplicaID]bool{}
	names, err := st.List(ctx, k.users)
	require.NoError(t, err)
	for _, name := range names {
		f, err := store.GetAs[*compound.Struct[Friendship]](ctx, st, name)
		require.NoError(t, err)
		u := strings.TrimPrefix(name, k.users)
		if v := f.Fields().Following.Value(); len(v) > 0 {
			s.following[u] = v
		}
		if v := f.Fields().Followers.Value(); len(v) > 0 {
			s.followers[u] = v
		}
		for _, other := range users {
			for _, set := range []interface {
				Timestamps(string) (crdt.Timestamp, crdt.Timestamp)
			}{f.Fields().Following, f.Fields().Followers} {
				add, rem := set.Timestamps(other)
				for _, ts := range []crdt.Timestamp{add, rem} {
					if !ts.IsZero() {
						s.writers[ts.Replica] = true
					}
				}
			}
		}
	}
	return s
}

// TestRunTwiceContinues runs the program's logic twice on one directory and
// checks, by reading the store itself, that the second run started from the
// first one's state: run 1's follows are still there (except the one run 2
// undoes), run 2's are added, the run counter is 2, and the replica ids,
// including those recorded in the sets' timestamps, are the same two.
func TestRunTwiceContinues(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "payloads")
	checkTwoRuns(t, config{dir: dir, out: io.Discard}, func() stored { return readDir(t, dir) })
}

// TestRunTwiceServers does the same on PostgreSQL and Redis, under a
// namespace of its own so that earlier runs on the server do not matter.
func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopAll()
	os.Exit(code)
}

func TestRunTwiceServers(t *testing.T) {
	servers := map[string]func(testing.TB) string{"postgres": testserver.Postgres, "redis": testserver.Redis}
	for name, start := range servers {
		t.Run(name, func(t *testing.T) {
			// A throwaway server on loopback, or the one CRDTKIT_POSTGRES_URL /
			// CRDTKIT_REDIS_URL names; missing binaries skip, or fail under CI=true.
			url := start(t)
			ns := "friendship-test-" + string(crdt.NewReplicaID()) + "/"
			checkTwoRuns(t, config{store: url, out: io.Discard, ns: ns}, func() stored {
				b, err := storeurl.OpenBackend(context.Background(), url)
				require.NoError(t, err)
				defer b.Close()
				return readStore(t, b, ns)
			})
		})
	}
}

func checkTwoRuns(t *testing.T, cfg config, read func() stored) {
	ctx := context.Background()
	res1, err := run(ctx, cfg)
	require.NoError(t, err)
	assert.True(t, res1.Identical)
	s1 := read()
	assert.Equal(t, uint64(1), s1.runs)
	assert.Equal(t, map[string][]string{
		"alice": {"bob"}, "carol": {"alice"}, "dave": {"alice"},
	}, s1.following)
	assert.Equal(t, map[string][]string{
		"alice": {"carol", "dave"}, "bob": {"alice"},
	}, s1.followers)
	assert.Equal(t, replicas{A: res1.ReplicaA, B: res1.ReplicaB}, s1.ids)
	assert.Equal(t, map[crdt.ReplicaID]bool{s1.ids.A: true, s1.ids.B: true}, s1.writers)

	res2, err := run(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), res2.Run)
	s2 := read()
	assert.Equal(t, uint64(2), s2.runs)
	// Run 2: A adds bob->carol and dave->bob, B adds erin->bob and undoes
	// run 1's alice->bob.
	assert.Equal(t, map[string][]string{
		"bob": {"carol"}, "carol": {"alice"}, "dave": {"alice", "bob"}, "erin": {"bob"},
	}, s2.following)
	assert.Equal(t, map[string][]string{
		"alice": {"carol", "dave"}, "bob": {"dave", "erin"}, "carol": {"bob"},
	}, s2.followers)
	assert.Equal(t, s1.ids, s2.ids, "replica ids are stored, not regenerated")
	assert.Equal(t, map[crdt.ReplicaID]bool{s1.ids.A: true, s1.ids.B: true}, s2.writers,
		"every write of both runs was made by the two stored replicas")
	reported := map[string][]string{}
	for u, v := range res2.Following {
		if len(v) > 0 {
			reported[u] = v
		}
	}
	assert.Equal(t, s2.following, reported, "what run 2 reports is what it stored")
}

// TestRunMirrorsOverManyRuns: over several runs the stored followers stay
// the mirror image of the stored following sets.
func TestRunMirrorsOverManyRuns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for range 7 {
		_, err := run(ctx, config{store: "dir:" + dir, out: io.Discard})
		require.NoError(t, err)
	}
	s := readDir(t, dir)
	assert.Equal(t, uint64(7), s.runs)
	mirror := map[string][]string{}
	for _, u := range users {
		for _, v := range s.following[u] {
			mirror[v] = append(mirror[v], u)
		}
	}
	for u := range mirror {
		slices.Sort(mirror[u])
	}
	assert.Equal(t, mirror, s.followers)
}

func TestRunBoltStore(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "f.db")
	for i := range 2 {
		res, err := run(ctx, config{store: "bolt:" + file, out: io.Discard})
		require.NoError(t, err)
		assert.Equal(t, uint64(i+1), res.Run)
	}
	_, err := os.Stat(file)
	assert.NoError(t, err)
}

func TestRunFlagErrors(t *testing.T) {
	ctx := context.Background()
	_, err := run(ctx, config{store: "dir:" + t.TempDir(), dir: t.TempDir(), out: io.Discard})
	assert.ErrorContains(t, err, "not both")
	_, err = run(ctx, config{store: "ftp://x", out: io.Discard})
	assert.ErrorIs(t, err, storeurl.ErrUnknownScheme)
}

func TestRunRejectsCorruptReplicaIDs(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, dirstore.EscapeKey(keysIn("").replicas)+".json"), []byte(`{"a":"x","b":"x"}`), 0o600))
	_, err := run(context.Background(), config{dir: dir, out: io.Discard})
	assert.ErrorContains(t, err, "distinct")
}
