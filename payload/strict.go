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
// objects deeper than max. It skips strings and ignores everything else.
func checkDepth(data []byte, max int) error {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
			if depth > max {
				return fmt.Errorf("%w: deeper than %d levels at byte %d", ErrTooDeep, max, i)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}
