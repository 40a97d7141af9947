package payload_test

import (
	"testing"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/payload"
)

// The one-pass writers must give exactly the encoder's bytes, or payloads
// written before and after them would differ for equal states.
func TestAppendStringMatchesEncoder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), rapid.StringMatching(`[ -~]*`),
			rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) })).Draw(t, "s")
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.Equal(t, string(want), string(payload.AppendString(nil, s)))
	})
	for _, s := range []string{"", "a<b>&c", "\x00\x1f\x7f", "é\u2028\u2029\xff", `"\/`} {
		want, _ := json.Marshal(s)
		require.Equal(t, string(want), string(payload.AppendString([]byte("x"), s))[1:], "%q", s)
	}
}

type appendPoint struct {
	X int `json:"x"`
}

func TestAppendElementMatchesEncoder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		check := func(v any, got []byte, err error) {
			require.NoError(t, err)
			want, _ := json.Marshal(v)
			require.Equal(t, string(want), string(got))
		}
		i := rapid.Int().Draw(t, "int")
		b, err := payload.AppendElement(nil, i)
		check(i, b, err)
		i64 := rapid.Int64().Draw(t, "int64")
		b, err = payload.AppendElement(nil, i64)
		check(i64, b, err)
		u := rapid.Uint64().Draw(t, "uint64")
		b, err = payload.AppendElement(nil, u)
		check(u, b, err)
		p := appendPoint{X: i}
		b, err = payload.AppendElement(nil, p)
		check(p, b, err)
	})
}
