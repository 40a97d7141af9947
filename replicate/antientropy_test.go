package replicate

import (
	"context"
	"encoding/hex"
	"slices"
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

// sent reports whether answering ask would send key's state.
func sent(n *Node, ask digestsMsg, key string) bool {
	return slices.Contains(n.answerKeys(ask), key)
}

// A peer that lacks a key this node just changed gets no full state while
// the quiet window holds, and gets it once the window has passed.
func TestAntiEntropyHoldsBackRecentChanges(t *testing.T) {
	const quiet = 150 * time.Millisecond
	n := startQuiet(t, quiet)
	inc(t, n, "k")
	ask := digestsMsg{from: "ghost", buckets: []uint16{bucketOf("k")}}

	start := time.Now()
	assert.False(t, sent(n, ask, "k"), "a recent change must be left to the deltas")
	assert.Equal(t, uint64(1), n.Stats().AntiEntropyDeferred)

	for !sent(n, ask, "k") {
		require.Less(t, time.Since(start), 20*quiet, "held back forever")
		time.Sleep(quiet / 5)
	}
	assert.GreaterOrEqual(t, time.Since(start), quiet, "sent inside the quiet window")
}

// A key that changes without pause is still sent, after at most three quiet
// windows of holding back: lost deltas of a hot key get repaired.
func TestAntiEntropyHoldsBackAHotKeyOnlySoLong(t *testing.T) {
	const quiet = 150 * time.Millisecond
	n := startQuiet(t, quiet)
	inc(t, n, "k")
	ask := digestsMsg{from: "ghost", buckets: []uint16{bucketOf("k")}}
	start := time.Now()
	for {
		inc(t, n, "k") // always recent
		if sent(n, ask, "k") {
			break
		}
		require.Less(t, time.Since(start), 20*quiet, "a hot key was held back forever")
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

	flagged := digestsMsg{from: "ghost", buckets: []uint16{bucketOf("k")},
		keys: []keyDigest{{key: "k", recent: true}}}
	assert.False(t, sent(n, flagged, "k"))
	assert.Equal(t, uint64(1), n.Stats().AntiEntropyDeferred)

	time.Sleep(3 * quiet) // a new episode: the old hold-back is over
	plain := digestsMsg{from: "ghost", buckets: []uint16{bucketOf("k")},
		keys: []keyDigest{{key: "k"}}}
	assert.True(t, sent(n, plain, "k"), "an old difference is repaired at once")
	assert.Equal(t, uint64(1), n.Stats().AntiEntropyDeferred)
}

func TestNegativeQuietNeverHoldsBack(t *testing.T) {
	n := startQuiet(t, -1)
	inc(t, n, "k")
	assert.True(t, sent(n, digestsMsg{from: "ghost", buckets: []uint16{bucketOf("k")},
		keys: []keyDigest{{key: "k", recent: true}}}, "k"))
	assert.Zero(t, n.Stats().AntiEntropyDeferred)
}

// Equal digests are not answered; a key the asker does not list is.
func TestAnswerKeysSendsOnlyDifferences(t *testing.T) {
	n := startQuiet(t, -1)
	inc(t, n, "k")
	d, _ := n.Digest("k")
	raw, err := hex.DecodeString(d)
	require.NoError(t, err)
	sum := digest(raw)
	b := []uint16{bucketOf("k")}
	assert.Empty(t, n.answerKeys(digestsMsg{buckets: b, keys: []keyDigest{{key: "k", sum: sum}}}))
	assert.Equal(t, []string{"k"}, n.answerKeys(digestsMsg{buckets: b}))
	assert.Empty(t, n.answerKeys(digestsMsg{buckets: []uint16{(bucketOf("k") + 1) % numBuckets}}))
}

func TestDigestFlagRoundTrips(t *testing.T) {
	m := digestsMsg{from: "a", buckets: []uint16{3},
		keys: []keyDigest{{key: "x", recent: true}, {key: "y"}}}
	b := m.append(nil)
	got, err := decodeDigests(b[1:], 1024)
	require.NoError(t, err)
	assert.Equal(t, m, got)
	b[len(b)-1] = 2 // an unknown flag value
	_, err = decodeDigests(b[1:], 1024)
	assert.ErrorIs(t, err, ErrBadMessage)
}
