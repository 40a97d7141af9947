package payload

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
)

// Default limits for decoding.
const (
	DefaultMaxBytes = 64 << 20
	DefaultMaxDepth = 128
)

// Limits bound what a decoder accepts. A zero field means its default.
type Limits struct {
	// MaxBytes is the largest payload accepted, in bytes
	// (default [DefaultMaxBytes]).
	MaxBytes int
	// MaxDepth is the deepest nesting of JSON arrays and objects accepted,
	// counting the envelope itself (default [DefaultMaxDepth]).
	MaxDepth int
}

func (l Limits) maxBytes() int {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return DefaultMaxBytes
}

func (l Limits) maxDepth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return DefaultMaxDepth
}

// Check returns an error wrapping [ErrTooLarge] or [ErrTooDeep] if data is
// beyond the limits, or one wrapping [ErrInvalid] if an object in it repeats
// a key. It looks at nothing else of validity.
func (l Limits) Check(data []byte) error {
	if max := l.maxBytes(); len(data) > max {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), max)
	}
	return checkDepth(data, l.maxDepth())
}

// Codec encodes and decodes envelopes with a given registry and limits. The
// zero Codec uses [Default] and the default limits.
type Codec struct {
	Registry *Registry
	Limits   Limits
}

func (c Codec) registry() *Registry {
	if c.Registry != nil {
		return c.Registry
	}
	return Default
}

type envelopeOut struct {
	State   any    `json:"state"`
	Type    string `json:"type"`
	Version int    `json:"version"`
}

type envelopeIn struct {
	State   json.RawMessage `json:"state"`
	Type    *string         `json:"type"`
	Version *int            `json:"version"`
}

// Marshal returns the canonical payload of s. The type of s must be
// registered.
func (c Codec) Marshal(s crdt.State) ([]byte, error) {
	name := s.TypeName()
	e, ok := c.registry().lookup(name)
	if !ok {
		return nil, fmt.Errorf("payload: marshal: %w", unknownType(name))
	}
	t := e.t
	name = t.Name // a state may still report an alias
	if a, ok := s.(Appender); ok {
		// The envelope's keys in order: state, type, version.
		b := append(make([]byte, 0, 256), `{"state":`...)
		b, err := a.AppendPayload(b)
		if err != nil {
			return nil, fmt.Errorf("payload: encoding %s: %w", name, err)
		}
		b = append(b, `,"type":`...)
		b = AppendString(b, name)
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, int64(t.Version), 10)
		return append(b, '}'), nil
	}
	b, err := json.Marshal(envelopeOut{State: s.Payload(), Type: name, Version: t.Version})
	if err != nil {
		return nil, fmt.Errorf("payload: encoding %s: %w", name, err)
	}
	return b, nil
}

// Unmarshal decodes a payload of any registered type into a new state bound
// to replica.
func (c Codec) Unmarshal(data []byte, replica crdt.ReplicaID) (crdt.State, error) {
	t, state, err := c.open(data)
	if err != nil {
		return nil, err
	}
	s := t.New(replica)
	if err := load(s, t.Name, state); err != nil {
		return nil, err
	}
	return s, nil
}

// UnmarshalInto decodes a payload into dst, replacing its state and keeping
// its identity. The payload's type must be dst's type; on error dst is
// unchanged.
func (c Codec) UnmarshalInto(data []byte, dst crdt.State) error {
	t, state, err := c.open(data)
	if err != nil {
		return err
	}
	if d, ok := c.registry().Lookup(dst.TypeName()); t.Name != dst.TypeName() && (!ok || d.Name != t.Name) {
		return fmt.Errorf("%w: payload is %q, destination is %q", ErrTypeMismatch, t.Name, dst.TypeName())
	}
	return load(dst, t.Name, state)
}

// TypeOf returns the type name of a payload after checking its limits and
// envelope, without decoding the state.
func (c Codec) TypeOf(data []byte) (string, error) {
	t, _, err := c.open(data)
	return t.Name, err
}

// open checks limits and the envelope, and returns the type and the state in
// the current format version.
func (c Codec) open(data []byte) (Type, []byte, error) {
	if err := c.Limits.Check(data); err != nil {
		return Type{}, nil, err
	}
	var env envelopeIn
	if err := DecodeStrict(data, &env); err != nil {
		return Type{}, nil, fmt.Errorf("payload: envelope: %w", err)
	}
	switch {
	case env.Type == nil:
		return Type{}, nil, Invalidf("type", "missing")
	case env.Version == nil:
		return Type{}, nil, Invalidf("version", "missing")
	case env.State == nil || bytes.Equal(env.State, []byte("null")):
		return Type{}, nil, Invalidf("state", "missing")
	}
	t, ok := c.registry().Lookup(*env.Type)
	if !ok {
		return Type{}, nil, &FieldError{Field: "type", Err: unknownType(*env.Type)}
	}
	v := *env.Version
	switch {
	case v < 1:
		return Type{}, nil, Invalidf("version", "%d is not a format version", v)
	case v > t.Version:
		return Type{}, nil, &FieldError{Field: "version", Err: fmt.Errorf("%w: %s version %d, this build reads up to %d", ErrNewerVersion, t.Name, v, t.Version)}
	case v < t.Version:
		if t.Upgrade == nil {
			return Type{}, nil, Invalidf("version", "%s version %d is no longer read", t.Name, v)
		}
		up, err := t.Upgrade(v, env.State)
		if err != nil {
			return Type{}, nil, InField("state", fmt.Errorf("upgrading %s from version %d: %w", t.Name, v, err))
		}
		return t, up, nil
	}
	return t, env.State, nil
}

func load(s crdt.State, name string, state []byte) error {
	if err := s.LoadPayload(state); err != nil {
		if !errors.Is(err, ErrInvalid) {
			err = fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return fmt.Errorf("payload: %s: %w", name, InField("state", err))
	}
	return nil
}

var defaultCodec Codec

// Marshal returns the canonical payload of s using [Default].
func Marshal(s crdt.State) ([]byte, error) { return defaultCodec.Marshal(s) }

// Unmarshal decodes a payload of any type registered in [Default], with the
// default limits, into a new state bound to replica.
func Unmarshal(data []byte, replica crdt.ReplicaID) (crdt.State, error) {
	return defaultCodec.Unmarshal(data, replica)
}

// UnmarshalInto decodes a payload into dst with the default registry and
// limits; see [Codec.UnmarshalInto].
func UnmarshalInto(data []byte, dst crdt.State) error {
	return defaultCodec.UnmarshalInto(data, dst)
}

// UnmarshalAs decodes a payload into a new state of type S bound to replica.
// It returns an error wrapping [ErrTypeMismatch] if the payload holds another
// type.
func UnmarshalAs[S crdt.State](data []byte, replica crdt.ReplicaID) (S, error) {
	var zero S
	s, err := Unmarshal(data, replica)
	if err != nil {
		return zero, err
	}
	typed, ok := s.(S)
	if !ok {
		return zero, fmt.Errorf("%w: payload holds %s, not %T", ErrTypeMismatch, s.TypeName(), zero)
	}
	return typed, nil
}

// Equal reports whether a and b have identical payloads, which for two states
// of the same type means they are equal. Encoding errors make it false.
func Equal(a, b crdt.State) bool {
	pa, err := Marshal(a)
	if err != nil {
		return false
	}
	pb, err := Marshal(b)
	if err != nil {
		return false
	}
	return bytes.Equal(pa, pb)
}
