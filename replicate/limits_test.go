package replicate

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
)

// TestUpdateRefusesStatesTooLargeToTransfer: memberlist drops TCP messages
// over 20 MiB on the receiving side without telling the sender, so a state
// that large could never be repaired by anti-entropy. Update refuses to grow
// a state past the limit and leaves memory and backend untouched. (The limit
// is lowered here; the real one is maxTransfer.)
func TestUpdateRefusesStatesTooLargeToTransfer(t *testing.T) {
	ctx := context.Background()
	b := store.NewMemory()
	n, err := Start(ctx, Config{Name: "a", Backend: b, Memberlist: FastMemberlistConfig()})
	require.NoError(t, err)
	defer n.Close()
	n.maxTransfer = 400

	add := func(e string) error {
		return Update(ctx, n, "s", sets.NewORSet[string], func(s *sets.ORSet[string]) error { return s.Add(e) })
	}
	require.NoError(t, add("small"))
	before, err := b.Load(ctx, dataPrefix+"s")
	require.NoError(t, err)
	digest, _ := n.Digest("s")

	err = add(strings.Repeat("x", 500))
	require.ErrorIs(t, err, ErrStateTooLarge)
	after, err := b.Load(ctx, dataPrefix+"s")
	require.NoError(t, err)
	assert.Equal(t, before, after, "the backend must be untouched")
	d, _ := n.Digest("s")
	assert.Equal(t, digest, d)
	s, _ := GetAs[*sets.ORSet[string]](n, "s")
	assert.Equal(t, []string{"small"}, s.Elements())
	assert.Equal(t, uint64(1), n.Stats().LocalUpdates)

	// A state that got that large by merging is not sent, and counted.
	n.maxTransfer = maxTransfer
	require.NoError(t, add(strings.Repeat("y", 500)))
	n.maxTransfer = 400
	p, _ := payload.Marshal(s)
	n.broadcast(appendKeyPayload(msgDelta, "s", append(p, make([]byte, 1500)...)))
	assert.Equal(t, uint64(1), n.Stats().TooLargeToSend)
}
