package payload

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	json "github.com/goccy/go-json"
)

// DecodeStrict decodes one JSON value from data into v, rejecting unknown
// object fields, values of the wrong JSON type and trailing data. Errors wrap
// [ErrInvalid] and, through [FieldError], name the field where the decoder
// knows it. Types use it in their LoadPayload methods.
func DecodeStrict(data []byte, v any) error {
	if len(bytes.TrimLeft(data, " \t\r\n")) == 0 {
		return fmt.Errorf("%w: empty input", ErrInvalid)
	}
	if fastStrict {
		// Unmarshal checks for trailing data itself.
		if err := json.UnmarshalWithOption(data, v, disallowUnknownFields); err != nil {
			return jsonError(err)
		}
		return nil
	}
	return decodeStream(data, v)
}

// decodeStream is DecodeStrict with go-json's streaming Decoder.
func decodeStream(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if err == io.EOF {
			return fmt.Errorf("%w: empty input", ErrInvalid)
		}
		return jsonError(err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("%w: trailing data after JSON value", ErrInvalid)
	}
	return nil
}

// disallowUnknownFields is the DisallowUnknownFields setting of goccy/go-json's
// streaming Decoder as an option of its Unmarshal, which decodes a byte slice
// without the Decoder's buffering (some 20% faster on large payloads).
// go-json exports no such option, so it sets the flag by its value; fastStrict
// is true only if a probe at start-up shows that the flag rejects unknown
// fields and nothing else, and DecodeStrict uses the Decoder otherwise.
func disallowUnknownFields(o *json.DecodeOption) { o.Flags |= 1 << 4 }

var fastStrict = probeFastStrict()

func probeFastStrict() bool {
	var probe struct {
		A int `json:"a"`
	}
	if json.UnmarshalWithOption([]byte(`{"a":1}`), &probe, disallowUnknownFields) != nil || probe.A != 1 {
		return false
	}
	err := json.UnmarshalWithOption([]byte(`{"a":1,"b":2}`), &probe, disallowUnknownFields)
	return err != nil && strings.HasPrefix(err.Error(), "json: unknown field ")
}

// checkDepth returns an error wrapping ErrTooDeep if data nests arrays and
// objects deeper than max, and one wrapping ErrInvalid if an object repeats a
// key: parsers disagree on which of two equal keys wins, and a payload must
// mean one thing to every reader. It looks at nothing else.
func checkDepth(data []byte, max int) error {
	// keys[d] holds the keys of the object open at depth d (nil for an
	// array); expectKey tells whether the next string is a key.
	var keys [][][]byte
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			start := i + 1
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if !expectKey || i >= len(data) {
				continue
			}
			expectKey = false
			key := data[start:i]
			if escaped {
				var s string
				if err := json.Unmarshal(data[start-1:i+1], &s); err != nil {
					continue // the decoder reports the syntax error
				}
				key = []byte(s)
			}
			d := len(keys) - 1
			for _, k := range keys[d] {
				if bytes.Equal(k, key) {
					return Invalidf(string(key), "key appears twice in one object (byte %d)", start)
				}
			}
			keys[d] = append(keys[d], key)
		case '[', '{':
			if len(keys) >= max {
				return fmt.Errorf("%w: deeper than %d levels at byte %d", ErrTooDeep, max, i)
			}
			if c == '{' {
				keys = append(keys, [][]byte{})
				expectKey = true
			} else {
				keys = append(keys, nil)
			}
		case ']', '}':
			if len(keys) > 0 {
				keys = keys[:len(keys)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(keys) > 0 && keys[len(keys)-1] != nil
		}
	}
	return nil
}
