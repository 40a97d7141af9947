package payload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-json/jsontext"
	jsonv2 "github.com/goccy/go-json/v2"

	"github.com/crdtkit/crdtkit/crdt"
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
	// state of another. It is the same value as [crdt.ErrTypeMismatch], so
	// errors.Is matches a type mismatch with either name, whether it came
	// from a merge or from a decode.
	ErrTypeMismatch = crdt.ErrTypeMismatch
	// ErrDuplicateType is returned when a type name is registered twice for
	// states of the same Go type.
	ErrDuplicateType = errors.New("payload: type already registered")
	// ErrNameTaken is returned when a type name (or a wire name given with
	// [RegisterName]) is registered for one Go type and then claimed by
	// another, such as two packages of the same name that both define a
	// SKU.
	ErrNameTaken = errors.New("payload: name taken by another Go type")
)

// FieldError is an error about one field of a payload. Field is a path such as
// "state.counts[2].n", empty for the value as a whole; Err is the cause, which wraps [ErrInvalid] or another
// sentinel of this package.
type FieldError struct {
	Field string
	Err   error
}

// Error describes the field and the cause.
func (e *FieldError) Error() string {
	if e.Err == nil { // the zero FieldError
		e := *e
		e.Err = ErrInvalid
		return e.Error()
	}
	if e.Field == "" {
		return e.Err.Error()
	}
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
	var se *jsonv2.SemanticError
	if errors.As(err, &se) {
		field := pointerPath(string(se.JSONPointer))
		if errors.Is(se.Err, jsonv2.ErrUnknownName) {
			return &FieldError{Field: field, Err: fmt.Errorf("%w: unknown field", ErrInvalid)}
		}
		// An error of a type's own UnmarshalJSON (such as crdt.Timestamp's)
		// says what is wrong better than the decoder's summary, and may name
		// a member inside the value.
		var fp interface{ FieldPath() string }
		if se.Err != nil && errors.As(se.Err, &fp) {
			return &FieldError{Field: joinPath(field, fp.FieldPath()), Err: fmt.Errorf("%w: %w", ErrInvalid, se.Err)}
		}
		return &FieldError{Field: field, Err: fmt.Errorf("%w: %s", ErrInvalid, typeMismatch(se))}
	}
	var syn *jsontext.SyntacticError
	if errors.As(err, &syn) {
		msg := fmt.Errorf("%w: %v at byte %d", ErrInvalid, syn.Err, syn.ByteOffset)
		if syn.JSONPointer != "" {
			return &FieldError{Field: pointerPath(string(syn.JSONPointer)), Err: msg}
		}
		return msg
	}
	return fmt.Errorf("%w: %v", ErrInvalid, err)
}

// typeMismatch says which JSON kind came where which Go type was expected.
func typeMismatch(se *jsonv2.SemanticError) string {
	what := "a value"
	if se.JSONKind != 0 {
		what = "JSON " + se.JSONKind.String()
	}
	want := "another type"
	if se.GoType != nil {
		want = se.GoType.String()
	}
	return what + " where " + want + " was expected"
}

// pointerPath turns a JSON pointer such as "/counts/2/n" into the path style
// of [FieldError], "counts[2].n".
func pointerPath(ptr string) string {
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for _, seg := range strings.Split(ptr[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(seg); err == nil && b.Len() > 0 {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg)
	}
	return b.String()
}
