package payload_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/internal/nopanic"
	"github.com/crdtkit/crdtkit/payload"
)

// TestMisuseZeroValues is issue 11, item 5, for package payload: the zero
// Registry is empty, the zero Codec uses Default, the zero Limits are the
// defaults, the zero Type is refused by Register and the zero FieldError
// still describes itself.
func TestMisuseZeroValues(t *testing.T) {
	nopanic.Check(t, "Registry", func() {
		var r payload.Registry
		_, ok := r.Lookup("test.MaxReg")
		require.False(t, ok)
		require.Empty(t, r.Names())
		require.ErrorIs(t, r.Register(payload.Type{}), payload.ErrInvalid)
	})
	nopanic.Check(t, "Codec", func() {
		var c payload.Codec
		b, err := c.Marshal(newMaxReg("a"))
		require.NoError(t, err)
		_, err = c.Unmarshal(b, "a")
		require.NoError(t, err)
		require.NoError(t, c.UnmarshalInto(b, newMaxReg("a")))
		name, err := c.TypeOf(b)
		require.NoError(t, err)
		require.Equal(t, "test.MaxReg", name)
	})
	nopanic.Check(t, "Limits", func() {
		var l payload.Limits
		require.NoError(t, l.Check([]byte(`{}`)))
	})
	nopanic.Check(t, "FieldError", func() {
		var fe payload.FieldError
		require.NotEmpty(t, fe.Error())
		require.Nil(t, fe.Unwrap())
	})
}
