package payload

import (
	"bytes"
	"fmt"
	"io"

	json "github.com/goccy/go-json"
)

// DecodeStrict decodes one JSON value from data into v, rejecting unknown
// object fields, values of the wrong JSON type and trailing data. Errors wrap
// [ErrInvalid] and, through [FieldError], name the field where the decoder
// knows it. Types use it in their LoadPayload methods.
func DecodeStrict(data []byte, v any) error {
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
