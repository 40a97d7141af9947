package replicate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pncounter "github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/store"
)

func startQuiet(t *testing.T, quiet time.Duration) *Node {
	n, err := Start(context.Background(), Config{
		Name: "n", Backend: store.NewMemory(), Memberlist: FastMemberlistConfig(), AntiEntropyQuiet: quiet,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func inc(t *testing.T, n *Node, key string) {
	require.NoError(t, n.Update(context.Background(), key,
		func(r crdt.ReplicaID) crdt.State { return pncounter.NewPNCounter(r) },
		func(s crdt.State) error { return s.(*pncounter.PNCounter).Inc(1) }))
}

// A peer that lacks a key this node just changed gets no full state while
// the quiet window holds, and gets it once the window has passed. The peer's
// address refuses connections, so "sent" shows as a send error.
func TestAntiEntropyHoldsBackRecentChanges(t *testing.T) {
	const quiet = 150 * time.Millisecond
	n := startQuiet(t, quiet)
	inc(t, n, "k")
	ask := digestsMsg{from: "ghost", addr: "127.0.0.1:1", buckets: []uint16{bucketOf("k")}}

	start := time.Now()
	n.answerDigests(ask)
	s := n.Stats()
	assert.Equal(t, uint64(1), s.AntiEntropyDeferred)
	assert.Zero(t, s.StatesSent+s.SendErrors, "a recent change must be left to the deltas")

	for n.Stats().SendErrors+n.Stats().StatesSent == 0 {
		require.Less(t, time.Since(start), 20*quiet, "held back forever")
		time.Sleep(quiet / 5)
		n.answerDigests(ask)
	}
	assert.GreaterOrEqual(t, time.Since(start), quiet, "sent inside the quiet window")
}

// A key that changes without pause is still sent, after at most three quiet
// windows of holding back: lost deltas of a hot key get repaired.
func TestAntiEntropyHoldsBackAHotKeyOnlySoLong(t *testing.T) {
	const quiet = 150 * time.Millisecond
	n := startQuiet(t, quiet)
	inc(t, n, "k")
	ask := digestsMsg{from: "ghost", addr: "127.0.0.1:1", buckets: []uint16{bucketOf("k")}}
	start := time.Now()
	for n.Stats().SendErrors+n.Stats().StatesSent == 0 {
		require.Less(t, time.Since(start), 20*quiet, "a hot key was held back forever")
		inc(t, n, "k") // always recent
		n.answerDigests(ask)
		time.Sleep(quiet / 5)
	}
	assert.GreaterOrEqual(t, time.Since(start), 3*quiet)
	assert.Greater(t, n.Stats().AntiEntropyDeferred, uint64(5))
}

// A key that changed long ago is sent at once, unless the peer flags it as
// one it changed lately itself.
func TestAntiEntropyHonoursThePeersRecentFlag(t *testing.T) {
	const quiet = 100 * time.Millisecond
	n := startQuiet(t, quiet)
	inc(t, n, "k")
	time.Sleep(2 * quiet)

	flagged := digestsMsg{from: "ghost", addr: "127.0.0.1:1", buckets: []uint16{bucketOf("k")},
		keys: []keyDigest{{key: "k", recent: true}}}
	n.answerDigests(flagged)
	assert.Equal(t, uint64(1), n.Stats().AntiEntropyDeferred)
	assert.Zero(t, n.Stats().SendErrors)

	time.Sleep(3 * quiet) // a new episode: the old hold-back is over
	plain := digestsMsg{from: "ghost", addr: "127.0.0.1:1", buckets: []uint16{bucketOf("k")},
		keys: []keyDigest{{key: "k"}}}
	n.answerDigests(plain)
	assert.Equal(t, uint64(1), n.Stats().AntiEntropyDeferred)
	assert.Equal(t, uint64(1), n.Stats().SendErrors, "an old difference is repaired at once")
}

func TestNegativeQuietNeverHoldsBack(t *testing.T) {
	n := startQuiet(t, -1)
	inc(t, n, "k")
	n.answerDigests(digestsMsg{from: "ghost", addr: "127.0.0.1:1", buckets: []uint16{bucketOf("k")},
		keys: []keyDigest{{key: "k", recent: true}}})
	assert.Zero(t, n.Stats().AntiEntropyDeferred)
	assert.Equal(t, uint64(1), n.Stats().SendErrors)
}

func TestDigestFlagRoundTrips(t *testing.T) {
	m := digestsMsg{from: "a", addr: "127.0.0.1:7946", buckets: []uint16{3},
		keys: []keyDigest{{key: "x", recent: true}, {key: "y"}}}
	b := m.append(nil)
	got, err := decodeDigests(b[1:], 1024)
	require.NoError(t, err)
	assert.Equal(t, m, got)
	b[len(b)-1] = 2 // an unknown flag value
	_, err = decodeDigests(b[1:], 1024)
	assert.ErrorIs(t, err, ErrBadMessage)
}
