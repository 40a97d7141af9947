package payload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

var (
	// ErrInvalid is wrapped by every error about a payload that is not valid
	// JSON, does not have the expected shape, or breaks a type's invariants.
	ErrInvalid = errors.New("payload: invalid payload")
	// ErrTooLarge is returned for a payload larger than [Limits.MaxBytes].
	ErrTooLarge = errors.New("payload: payload too large")
	// ErrTooDeep is returned for a payload nested deeper than
	// [Limits.MaxDepth].
	ErrTooDeep = errors.New("payload: payload nested too deeply")
	// ErrUnknownType is returned for a payload whose type is not registered.
	ErrUnknownType = errors.New("payload: unknown type")
	// ErrNewerVersion is returned for a payload written by a newer format
	// version than the registered type reads.
	ErrNewerVersion = errors.New("payload: format version newer than supported")
	// ErrTypeMismatch is returned when a payload of one type is decoded into a
	// state of another.
	ErrTypeMismatch = errors.New("payload: payload type does not match")
	// ErrDuplicateType is returned when a type name is registered twice.
	ErrDuplicateType = errors.New("payload: type already registered")
)

// FieldError is an error about one field of a payload. Field is a path such as
// "state.counts[2].n"; Err is the cause, which wraps [ErrInvalid] or another
// sentinel of this package.
type FieldError struct {
	Field string
	Err   error
}

// Error describes the field and the cause.
func (e *FieldError) Error() string {
	return fmt.Sprintf("field %s: %v", e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// Invalidf returns a [FieldError] for field whose cause wraps [ErrInvalid]
// and says what is wrong with it.
func Invalidf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))}
}

// InField places err inside field: a [FieldError] gets field prefixed to its
// path ("state" and "counts[2]" give "state.counts[2]"), any other error
// becomes a FieldError for field. A nil err stays nil.
func InField(field string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: joinPath(field, fe.Field), Err: fe.Err}
	}
	return &FieldError{Field: field, Err: err}
}

// Index formats the path of element i of field, such as "counts[2]".
func Index(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

func joinPath(outer, inner string) string {
	switch {
	case outer == "":
		return inner
	case inner == "", strings.HasPrefix(inner, "["):
		return outer + inner
	default:
		return outer + "." + inner
	}
}

// jsonError turns an error from the JSON decoder into one that wraps
// [ErrInvalid] and, where the decoder knows it, names the field.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(root)"
		}
		return &FieldError{Field: field, Err: fmt.Errorf("%w: JSON %s where %s was expected", ErrInvalid, te.Value, te.Type)}
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(rest)
		if name == "" {
			name = rest
		}
		return &FieldError{Field: name, Err: fmt.Errorf("%w: unknown field", ErrInvalid)}
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.TrimPrefix(msg, "json: "))
}
