package registers

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/payload"
)

// encodeValue returns the canonical JSON of v and the value that JSON decodes
// to. The second encoding must reproduce the first byte for byte: this is what
// makes payloads canonical and the tie-breaks on encoded values stable after a
// round trip. The returned value never aliases v.
func encodeValue[T any](v T) ([]byte, T, error) {
	var zero T
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, zero, fmt.Errorf("%w: %w", ErrValue, err)
	}
	if simpleValue(v) {
		return raw, v, nil
	}
	// A value may change once on its way through JSON (invalid UTF-8
	// becomes U+FFFD, say); what it becomes must then be stable.
	for range 2 {
		back, err := decodeValue[T](raw)
		if err != nil {
			return nil, zero, fmt.Errorf("%w: its JSON %s does not decode: %w", ErrValue, clip(raw), err)
		}
		again, err := json.Marshal(back)
		if err != nil {
			return nil, zero, fmt.Errorf("%w: %w", ErrValue, err)
		}
		if bytes.Equal(raw, again) {
			return raw, back, nil
		}
		raw = again
	}
	return nil, zero, fmt.Errorf("%w: JSON %s does not survive a round trip", ErrValue, clip(raw))
}

// simpleValue reports whether v is of a type whose JSON encoding is known to
// decode back to v itself.
func simpleValue(v any) bool {
	switch x := v.(type) {
	case string:
		return utf8.ValidString(x)
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float64:
		return true
	}
	return false
}

// decodeValue decodes one value of type T strictly.
func decodeValue[T any](raw []byte) (T, error) {
	var v T
	err := payload.DecodeStrict(raw, &v)
	return v, err
}

// canonicalValue decodes raw, a value read from a payload, and returns its
// canonical encoding and the decoded value. It is encodeValue for data from
// outside: every error wraps payload.ErrInvalid.
func canonicalValue[T any](raw []byte) ([]byte, T, error) {
	var zero T
	v, err := decodeValue[T](raw)
	if err != nil {
		return nil, zero, err
	}
	canon, back, err := encodeValue(v)
	if err != nil {
		return nil, zero, fmt.Errorf("%w: %w", payload.ErrInvalid, err)
	}
	// JSON null decodes into most Go types as "no change", which would read
	// null as the zero value. Accept null only where it is T's own form.
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) && !bytes.Equal(canon, []byte("null")) {
		return nil, zero, fmt.Errorf("%w: null is not a %v", payload.ErrInvalid, reflect.TypeFor[T]())
	}
	return canon, back, nil
}

func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:61]) + "..."
	}
	return string(b)
}

// flatTypes caches isFlat per type.
var flatTypes sync.Map // reflect.Type -> bool

// isFlat reports whether values of type T hold no references (pointers,
// slices, maps, interfaces, ...), so that copying a T copies everything.
// Registers hand out stored values of flat types directly and decode the
// stored JSON afresh for the others, so a caller can never modify the state
// through a returned value.
func isFlat[T any]() bool {
	t := reflect.TypeFor[T]()
	if f, ok := flatTypes.Load(t); ok {
		return f.(bool)
	}
	f := flatType(t, 0)
	flatTypes.Store(t, f)
	return f
}

// flatValue returns v if T is flat and the zero T otherwise: registers keep
// a decoded value only for flat types (see isFlat), so that the others hold
// no second, unused copy of every value next to its JSON.
func flatValue[T any](v T) T {
	if isFlat[T]() {
		return v
	}
	var zero T
	return zero
}

func flatType(t reflect.Type, depth int) bool {
	if depth > 32 {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return flatType(t.Elem(), depth+1)
	case reflect.Struct:
		for i := range t.NumField() {
			if !flatType(t.Field(i).Type, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// isNull reports whether raw is the JSON literal null.
func isNull(raw []byte) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }
