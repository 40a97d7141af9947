package payload_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// TestOneErrTypeMismatch is issue 11, item 4: a payload decoded into a state
// of another type and a merge of two types fail with errors that errors.Is
// matches against both payload.ErrTypeMismatch and crdt.ErrTypeMismatch.
func TestOneErrTypeMismatch(t *testing.T) {
	b, err := payload.Marshal(counters.NewGCounter("a"))
	require.NoError(t, err)
	decodeErr := payload.UnmarshalInto(b, counters.NewPNCounter("a"))
	require.ErrorIs(t, decodeErr, payload.ErrTypeMismatch)
	require.ErrorIs(t, decodeErr, crdt.ErrTypeMismatch)
	mergeErr := counters.NewPNCounter("a").MergeState(counters.NewGCounter("a"))
	require.ErrorIs(t, mergeErr, payload.ErrTypeMismatch)
	require.ErrorIs(t, mergeErr, crdt.ErrTypeMismatch)
}
