package replicate

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"strings"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lzwCompress compresses b as memberlist does.
func lzwCompress(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := lzw.NewWriter(&buf, lzw.LSB, 8)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// memberlistCompressed encodes a compressed message the way memberlist
// does: its compress struct through go-msgpack's MsgpackHandle.
func memberlistCompressed(t testing.TB, inner []byte) []byte {
	var out bytes.Buffer
	out.WriteByte(mlCompress)
	c := struct {
		Algo uint8
		Buf  []byte
	}{0, lzwCompress(t, inner)}
	require.NoError(t, codec.NewEncoder(&out, &codec.MsgpackHandle{}).Encode(&c))
	return out.Bytes()
}

func TestReadCompressedReadsMemberlistsEncoding(t *testing.T) {
	for _, inner := range [][]byte{
		{8, 1, 2, 3},
		[]byte(strings.Repeat("delta ", 3000)), // a long Buf (str16/str32 header)
	} {
		msg := memberlistCompressed(t, inner)
		trailer := []byte("next message")
		br := bufio.NewReader(bytes.NewReader(append(msg[1:], trailer...)))
		got, err := readCompressed(br, 1<<20)
		require.NoError(t, err)
		assert.Equal(t, inner, got)
		rest, _ := br.Peek(len(trailer))
		assert.Equal(t, trailer, rest, "the stream must go on right after the message")
	}
}

func TestReadCompressedStopsAtTheLimitWhileInflating(t *testing.T) {
	bomb := memberlistCompressed(t, make([]byte, 8<<20))
	require.Less(t, len(bomb), 64<<10, "a bomb is small")
	_, err := readCompressed(bufio.NewReader(bytes.NewReader(bomb[1:])), 1<<20)
	assert.ErrorIs(t, err, ErrInflateLimit)
	// Exactly at the limit is fine.
	ok := memberlistCompressed(t, make([]byte, 1<<20))
	got, err := readCompressed(bufio.NewReader(bytes.NewReader(ok[1:])), 1<<20)
	require.NoError(t, err)
	assert.Len(t, got, 1<<20)
}

func TestReadCompressedRejectsOtherFraming(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":           {},
		"not a map":       {0x91, 0x00},
		"other algo":      {0x82, 0xa4, 'A', 'l', 'g', 'o', 0x01, 0xa3, 'B', 'u', 'f', 0xa0},
		"unknown key":     {0x82, 0xa4, 'A', 'l', 'g', 'p', 0x00, 0xa3, 'B', 'u', 'f', 0xa0},
		"missing buf":     {0x81, 0xa4, 'A', 'l', 'g', 'o', 0x00},
		"truncated":       {0x82, 0xa4, 'A', 'l', 'g', 'o', 0x00, 0xa3, 'B', 'u', 'f', 0xc6, 0, 0, 0, 9, 1},
		"twice algo":      {0x82, 0xa4, 'A', 'l', 'g', 'o', 0x00, 0xa4, 'A', 'l', 'g', 'o', 0x00},
		"huge compressed": {0x82, 0xa4, 'A', 'l', 'g', 'o', 0x00, 0xa3, 'B', 'u', 'f', 0xc6, 0xff, 0xff, 0xff, 0xff},
	} {
		_, err := readCompressed(bufio.NewReader(bytes.NewReader(b)), 1<<20)
		assert.Error(t, err, name)
	}
}

func TestCheckPacket(t *testing.T) {
	ping := []byte{0, 1, 2, 3}
	assert.NoError(t, checkPacket(ping, 64<<10))
	small := memberlistCompressed(t, []byte{mlCompound, 1, 0, 4, 8, 'a', 'b', 'c'})
	assert.NoError(t, checkPacket(small, 64<<10))
	labelled := append([]byte{mlHasLabel, 4, 'b', 'l', 'u', 'e'}, small...)
	assert.NoError(t, checkPacket(labelled, 64<<10))

	bomb := memberlistCompressed(t, make([]byte, 1<<20))
	assert.ErrorIs(t, checkPacket(bomb, 64<<10), ErrInflateLimit)
	assert.ErrorIs(t, checkPacket(append([]byte{mlHasLabel, 4, 'b', 'l', 'u', 'e'}, bomb...), 64<<10), ErrInflateLimit)
	// Compressed parts of a compound, each under the limit, add up.
	part := memberlistCompressed(t, make([]byte, 40<<10))
	compound := []byte{mlCompound, 2, byte(len(part) >> 8), byte(len(part)), byte(len(part) >> 8), byte(len(part))}
	compound = append(append(compound, part...), part...)
	assert.ErrorIs(t, checkPacket(compound, 64<<10), ErrInflateLimit, "memberlist never compresses parts")
	nested := memberlistCompressed(t, memberlistCompressed(t, []byte{0}))
	assert.ErrorIs(t, checkPacket(nested, 64<<10), ErrInflateLimit)
}

// FuzzReadCompressed: no input panics, reads past its message, or returns
// more than the limit.
func FuzzReadCompressed(f *testing.F) {
	f.Add(memberlistCompressed(f, []byte{8, 1, 2, 3})[1:])
	f.Add(memberlistCompressed(f, make([]byte, 5000))[1:])
	f.Add([]byte{0x82, 0xa4, 'A', 'l', 'g', 'o', 0x00, 0xa3, 'B', 'u', 'f', 0xc4, 2, 0x00, 0x01})
	f.Add([]byte{0xde, 0x00, 0x02, 0xa3, 'B', 'u', 'f', 0xda, 0x00, 0x01, 0xff, 0xa4, 'A', 'l', 'g', 'o', 0xcc, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 4096
		out, err := readCompressed(bufio.NewReader(bytes.NewReader(b)), limit)
		if err == nil && len(out) > limit {
			t.Fatalf("inflated %d bytes, limit %d", len(out), limit)
		}
		_ = checkPacket(append([]byte{mlCompress}, b...), limit)
		_ = checkPacket(append([]byte{mlCompound, 1, 0, byte(len(b))}, b...), limit)
	})
}
