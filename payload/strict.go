package payload

import (
	"fmt"

	jsonv2 "github.com/goccy/go-json/v2"
)

// DecodeStrict decodes one JSON value from data into v with the semantics of
// encoding/json/v2 (goccy/go-json's v2 package): object member names match
// struct fields exactly, case included; unknown members, repeated names,
// invalid UTF-8, values of the wrong JSON type and trailing data are errors.
// Errors wrap [ErrInvalid] and, through [FieldError], name the field. Types
// use it in their LoadPayload methods.
func DecodeStrict(data []byte, v any) error {
	if err := jsonv2.Unmarshal(data, v, strictOptions); err != nil {
		return jsonError(err)
	}
	return nil
}

var strictOptions = jsonv2.RejectUnknownMembers(true)

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
