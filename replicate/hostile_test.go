package replicate_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/boltstore"
)

func startNode(t *testing.T, name string, mutate func(*replicate.Config)) *replicate.Node {
	t.Helper()
	mc := replicate.FastMemberlistConfig()
	mc.BindPort = 0
	cfg := replicate.Config{Name: name, Backend: store.NewMemory(), Memberlist: mc}
	if mutate != nil {
		mutate(&cfg)
	}
	n, err := replicate.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// rawPeer is a bare memberlist member that sends whatever bytes a test
// wants to a node, as a hostile or broken peer would.
func rawPeer(t *testing.T, join string) *memberlist.Memberlist {
	mc := memberlist.DefaultLocalConfig()
	mc.Name = "raw-peer"
	mc.BindAddr = "127.0.0.1"
	mc.BindPort = 0
	mc.LogOutput = io.Discard
	ml, err := memberlist.Create(mc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ml.Shutdown() })
	_, err = ml.Join([]string{join})
	require.NoError(t, err)
	return ml
}

func frame(kind byte, key string, p string) []byte {
	b := []byte{kind, byte(len(key))}
	b = append(b, key...)
	return append(b, p...)
}

func TestHostileMessagesAreDroppedAndCounted(t *testing.T) {
	n := startNode(t, "victim", func(c *replicate.Config) {
		c.Codec = payload.Codec{Limits: payload.Limits{MaxBytes: 4096}}
	})
	ctx := context.Background()
	require.NoError(t, replicate.Update(ctx, n, "hits", newPN, func(c *counters.PNCounter) error { return c.Inc(7) }))

	peer := rawPeer(t, n.Addr())
	var target *memberlist.Node
	for _, m := range peer.Members() {
		if m.Name == "victim" {
			target = m
		}
	}
	require.NotNil(t, target)

	gc := counters.NewGCounter("x")
	require.NoError(t, gc.Inc(1))
	gcPayload, err := payload.Marshal(gc)
	require.NoError(t, err)
	msgs := [][]byte{
		{99, 1, 2, 3},                 // unknown kind
		{1, 200},                      // key length beyond the message
		{3, 5, 'x'},                   // truncated digests
		frame(1, "hits", `{"state":`), // broken JSON
		frame(1, "hits", `{"state":{"n":{"counts":[]},"p":{"counts":[{"n":-1,"r":"z"}]}},"type":"counters.PNCounter","version":1}`),
		frame(1, "hits", `{"state":{},"type":"evil.Type","version":1}`),
		frame(1, "hits", string(gcPayload)), // a GCounter for a PNCounter key
		frame(2, "big", `{"state":"`+strings.Repeat("a", 5000)+`","type":"counters.GCounter","version":1}`),
	}
	for i, m := range msgs {
		before := n.Stats().Received
		require.NoError(t, peer.SendReliable(target, m))
		require.Eventually(t, func() bool { return n.Stats().Received > before }, 10*time.Second, 5*time.Millisecond, "message %d", i)
	}
	require.Eventually(t, func() bool {
		s := n.Stats()
		return s.DroppedMalformed+s.DroppedInvalid+s.DroppedUnknownType+s.DroppedTypeClash >= uint64(len(msgs))
	}, 10*time.Second, 10*time.Millisecond, "stats: %+v", n.Stats())
	s := n.Stats()
	assert.Equal(t, uint64(3), s.DroppedMalformed)
	assert.Equal(t, uint64(1), s.DroppedUnknownType)
	assert.Equal(t, uint64(1), s.DroppedTypeClash)
	assert.Equal(t, uint64(3), s.DroppedInvalid)

	// The key is untouched and the node still works.
	c, ok := replicate.GetAs[*counters.PNCounter](n, "hits")
	require.True(t, ok)
	assert.Equal(t, int64(7), c.Value())
	_, ok = n.Get("big")
	assert.False(t, ok)
	require.NoError(t, replicate.Update(ctx, n, "hits", newPN, func(c *counters.PNCounter) error { return c.Inc(1) }))
}

func TestEncryptionAndLabelsKeepClustersApart(t *testing.T) {
	key := []byte("0123456789abcdef")
	a := startNode(t, "a", func(c *replicate.Config) { c.SecretKey = key; c.Label = "blue" })
	b := startNode(t, "b", func(c *replicate.Config) {
		c.SecretKey = key
		c.Label = "blue"
		c.Join = []string{a.Addr()}
	})
	ctx := context.Background()
	require.NoError(t, replicate.Update(ctx, a, "k", newPN, func(c *counters.PNCounter) error { return c.Inc(3) }))
	require.Eventually(t, func() bool {
		c, ok := replicate.GetAs[*counters.PNCounter](b, "k")
		return ok && c.Value() == 3
	}, 10*time.Second, 10*time.Millisecond)

	for name, mutate := range map[string]func(*replicate.Config){
		"wrong key":   func(c *replicate.Config) { c.SecretKey = []byte("fedcba9876543210"); c.Label = "blue" },
		"no key":      func(c *replicate.Config) { c.Label = "blue" },
		"other label": func(c *replicate.Config) { c.SecretKey = key; c.Label = "red" },
	} {
		t.Run(name, func(t *testing.T) {
			mc := replicate.FastMemberlistConfig()
			cfg := replicate.Config{Name: "intruder", Backend: store.NewMemory(), Memberlist: mc, Join: []string{a.Addr()}}
			mutate(&cfg)
			n, err := replicate.Start(ctx, cfg)
			if err == nil {
				_ = n.Close()
			}
			assert.Error(t, err)
		})
	}
	assert.Equal(t, []string{"a", "b"}, a.Members())
}

func TestOversizedDeltasGoOverTCP(t *testing.T) {
	small := func(c *replicate.Config) { c.Memberlist.UDPBufferSize = 300 }
	a := startNode(t, "a", small)
	b := startNode(t, "b", func(c *replicate.Config) { small(c); c.Join = []string{a.Addr()} })
	ctx := context.Background()
	for range 20 {
		require.NoError(t, replicate.Update(ctx, a, "k", newPN, func(c *counters.PNCounter) error { return c.Inc(1) }))
	}
	require.Eventually(t, func() bool {
		c, ok := replicate.GetAs[*counters.PNCounter](b, "k")
		return ok && c.Value() == 20
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, uint64(20), a.Stats().OversizedDeltas)
}

func TestWatchSeesRemoteChanges(t *testing.T) {
	a := startNode(t, "a", nil)
	b := startNode(t, "b", func(c *replicate.Config) { c.Join = []string{a.Addr()} })
	seen := make(chan int64, 16)
	stop := b.Watch("k", func(s crdt.State) { seen <- s.(*counters.PNCounter).Value() })
	defer stop()
	ctx := context.Background()
	require.NoError(t, replicate.Update(ctx, a, "k", newPN, func(c *counters.PNCounter) error { return c.Inc(5) }))
	select {
	case v := <-seen:
		assert.Equal(t, int64(5), v)
	case <-time.After(10 * time.Second):
		t.Fatal("watcher not called")
	}
}

func TestReplicaIDIsStoredAndChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	open := func() store.Backend {
		b, err := boltstore.Open(path, nil)
		require.NoError(t, err)
		return b
	}
	n, err := replicate.Start(context.Background(), replicate.Config{Name: "a", Backend: open(), Memberlist: replicate.FastMemberlistConfig()})
	require.NoError(t, err)
	first := n.Replica()
	require.NoError(t, n.Close())

	n2, err := replicate.Start(context.Background(), replicate.Config{Name: "a", Backend: open(), Memberlist: replicate.FastMemberlistConfig()})
	require.NoError(t, err)
	assert.Equal(t, first, n2.Replica())
	require.NoError(t, n2.Close())

	_, err = replicate.Start(context.Background(), replicate.Config{Name: "a", Backend: open(), Replica: "someone-else", Memberlist: replicate.FastMemberlistConfig()})
	assert.ErrorIs(t, err, replicate.ErrReplicaMismatch)
}
