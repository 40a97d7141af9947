package payload

import (
	"fmt"
	"strconv"

	json "github.com/goccy/go-json"
)

// Appender is implemented by states that write their own canonical payload
// state in one pass, without building a value for the JSON encoder:
// AppendPayload appends to dst exactly the bytes that encoding
// [crdt.State.Payload]'s value would produce. [Codec.Marshal] uses it when
// present.
type Appender interface {
	AppendPayload(dst []byte) ([]byte, error)
}

// plainASCII[b] is true for the bytes that a JSON string holds as they are:
// printable ASCII other than the quote, the backslash and the characters
// that the encoder escapes for HTML (<, > and &).
var plainASCII = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = true
	}
	t['"'], t['\\'], t['<'], t['>'], t['&'] = false, false, false, false, false
	return t
}()

// AppendString appends s as a JSON string, byte for byte as the payload
// encoder writes it (HTML characters, U+2028 and U+2029 escaped, invalid
// UTF-8 replaced). Plain ASCII is copied directly; anything else goes
// through the encoder.
func AppendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainASCII[s[i]] {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// AppendElement appends the JSON encoding of e, as the payload encoder
// writes it: strings and integers directly, other types through the
// encoder.
func AppendElement[T any](dst []byte, e T) ([]byte, error) {
	switch x := any(e).(type) {
	case string:
		return AppendString(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return dst, fmt.Errorf("payload: encoding element %v: %w", e, err)
	}
	return append(dst, b...), nil
}

// Appended is a payload value whose JSON encoding is made by an append
// function: a state whose payload is written by [Appender] returns one from
// its Payload method, so that states that embed it (maps, structs) encode it
// through the same code.
type Appended func(dst []byte) ([]byte, error)

// MarshalJSON returns the appended bytes.
func (a Appended) MarshalJSON() ([]byte, error) { return a(nil) }
