package compound

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// ErrBadStruct is wrapped by the errors of [DefineStruct] and
// [RegisterStruct] about a fields struct that cannot be composed: a field
// without a crdt tag, a field that is not a pointer to a CRDT, a duplicate
// name, or a constructor that returns nil fields.
var ErrBadStruct = errors.New("compound: invalid fields struct")

// ErrPartialMerge is wrapped by the error of a [Struct] merge or load whose
// trial run on copies succeeded but whose real run then failed in a field.
// It can only happen when a field type breaks the contract (its Merge or
// LoadPayload is not deterministic); the state may then be partly changed.
var ErrPartialMerge = errors.New("compound: field failed after a successful trial; state partly changed")

// ErrZeroStruct is wrapped by the errors of a zero [Struct] (or of one from a
// zero [StructType]), which has no type: it cannot merge, be merged or load.
// Create states with [StructType.New].
var ErrZeroStruct = errors.New("compound: zero Struct has no type; create states with StructType.New")

// tagKey is the struct tag that names a field in payloads and values.
const tagKey = "crdt"

// probeReplica is the replica id passed to a constructor when a struct is
// defined, to check what it returns.
const probeReplica crdt.ReplicaID = "compound-definition-probe"

var stateType = reflect.TypeFor[crdt.State]()

// field describes one CRDT field of a fields struct.
type field struct {
	name   string       // payload and value name, from the tag
	goName string       // Go field name, for messages
	index  int          // index in the struct
	typ    reflect.Type // the field's pointer type
	value  int          // index of the Value method in typ's method set
}

// layout is what reflection learns about a fields struct type, once per
// type.
type layout struct {
	fields []field // in declaration order
	byName map[string]int
}

var layouts sync.Map // reflect.Type -> layoutResult

type layoutResult struct {
	l   *layout
	err error
}

// layoutOf returns the layout of struct type t, computing it on first use.
func layoutOf(t reflect.Type) (*layout, error) {
	if r, ok := layouts.Load(t); ok {
		res := r.(layoutResult)
		return res.l, res.err
	}
	l, err := computeLayout(t)
	r, _ := layouts.LoadOrStore(t, layoutResult{l, err})
	res := r.(layoutResult)
	return res.l, res.err
}

func computeLayout(t reflect.Type) (*layout, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %v is not a struct type", ErrBadStruct, t)
	}
	l := &layout{byName: make(map[string]int)}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, tagged := sf.Tag.Lookup(tagKey)
		switch {
		case !tagged:
			return nil, fmt.Errorf("%w: %v.%s has no `crdt:\"name\"` tag; every field of a fields struct must be a tagged CRDT, since an untagged field would be neither merged nor stored", ErrBadStruct, t, sf.Name)
		case !sf.IsExported():
			return nil, fmt.Errorf("%w: %v.%s is unexported", ErrBadStruct, t, sf.Name)
		case tag == "" || tag == "-":
			return nil, fmt.Errorf("%w: %v.%s: tag %q is not a field name", ErrBadStruct, t, sf.Name, tag)
		case sf.Type.Kind() != reflect.Pointer || !sf.Type.Implements(stateType):
			return nil, fmt.Errorf("%w: %v.%s has type %v, which is not a pointer to a crdt.State", ErrBadStruct, t, sf.Name, sf.Type)
		}
		m, ok := sf.Type.MethodByName("Value")
		if !ok || m.Type.NumIn() != 1 || m.Type.NumOut() != 1 {
			return nil, fmt.Errorf("%w: %v.%s: %v has no method Value() V, so it is not a crdt.CRDT", ErrBadStruct, t, sf.Name, sf.Type)
		}
		if j, dup := l.byName[tag]; dup {
			return nil, fmt.Errorf("%w: %v.%s and %v.%s share the name %q", ErrBadStruct, t, l.fields[j].goName, t, sf.Name, tag)
		}
		l.byName[tag] = len(l.fields)
		l.fields = append(l.fields, field{name: tag, goName: sf.Name, index: i, typ: sf.Type, value: m.Index})
	}
	if len(l.fields) == 0 {
		return nil, fmt.Errorf("%w: %v has no fields", ErrBadStruct, t)
	}
	return l, nil
}

// StructType is a composed CRDT type: a name and a constructor of its fields.
// Make one with [RegisterStruct] (or [DefineStruct] to register it
// elsewhere) and create states with [StructType.New].
type StructType[F any] struct {
	name      string
	newFields func(crdt.ReplicaID) F
	layout    *layout
}

// DefineStruct checks a fields struct type F and returns its [StructType]
// named name, without registering it with package payload.
//
// Every field of F must be exported, tagged `crdt:"name"` with a name unique
// in F, and of a pointer type that implements crdt.CRDT (such as
// *sets.LWWSet[string], *counters.PNCounter, another *Struct[G] or a
// compound map). newFields must return an F whose fields are all non-nil,
// distinct, empty states bound to the given replica; DefineStruct calls it
// once with a probe replica id to check that. The reflection over F is done
// once per type and cached. Errors wrap [ErrBadStruct].
func DefineStruct[F any](name string, newFields func(replica crdt.ReplicaID) F) (*StructType[F], error) {
	if name == "" {
		return nil, fmt.Errorf("%w: empty type name", ErrBadStruct)
	}
	if newFields == nil {
		return nil, fmt.Errorf("%w: %s: nil constructor", ErrBadStruct, name)
	}
	l, err := layoutOf(reflect.TypeFor[F]())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &StructType[F]{name: name, newFields: newFields, layout: l}
	if _, err := t.make(probeReplica); err != nil {
		return nil, err
	}
	return t, nil
}

// RegisterStruct defines the struct type (see [DefineStruct]) and registers
// it with payload.Default under name, format version 1, so that
// payload.Unmarshal rebuilds it. A name that is already registered gives an
// error wrapping payload.ErrDuplicateType. Call it once per type, typically
// in a package-level variable:
//
//	var FriendshipType = compound.MustRegisterStruct("friendship.Friendship", newFriendship)
func RegisterStruct[F any](name string, newFields func(replica crdt.ReplicaID) F) (*StructType[F], error) {
	t, err := DefineStruct(name, newFields)
	if err != nil {
		return nil, err
	}
	if err := payload.Register(t.PayloadType()); err != nil {
		return nil, fmt.Errorf("compound: registering %s: %w", name, err)
	}
	return t, nil
}

// MustRegisterStruct is like [RegisterStruct] but panics on error, which is
// a programming error in a package-level definition.
func MustRegisterStruct[F any](name string, newFields func(replica crdt.ReplicaID) F) *StructType[F] {
	t, err := RegisterStruct(name, newFields)
	if err != nil {
		panic(err)
	}
	return t
}

// Name returns the type name, used in payload envelopes.
func (t *StructType[F]) Name() string { return t.name }

// FieldNames returns the names of the fields, from their tags, in the
// order F declares them (none for the zero StructType).
func (t *StructType[F]) FieldNames() []string {
	if t.layout == nil {
		return nil
	}
	names := make([]string, len(t.layout.fields))
	for i, f := range t.layout.fields {
		names[i] = f.name
	}
	return names
}

// PayloadType returns the payload registration of the type, format version
// 1, for registering it in a registry other than payload.Default (or with an
// Upgrade function and a higher version after a field's format changed).
func (t *StructType[F]) PayloadType() payload.Type {
	return payload.Type{
		Name:    t.name,
		Version: 1,
		New:     func(r crdt.ReplicaID) crdt.State { return t.New(r) },
	}
}

// New returns an empty state bound to replica, with fields from the
// constructor given to [DefineStruct]. It panics if the constructor returns
// a nil or shared field, which DefineStruct checked once already. The zero
// StructType, which DefineStruct never returns, makes zero Structs, whose
// methods fail with [ErrZeroStruct].
func (t *StructType[F]) New(replica crdt.ReplicaID) *Struct[F] {
	if t == nil || t.layout == nil {
		return &Struct[F]{replica: replica}
	}
	f, err := t.make(replica)
	if err != nil {
		panic(err)
	}
	return &Struct[F]{typ: t, replica: replica, fields: f}
}

// make calls the constructor and checks its result.
func (t *StructType[F]) make(replica crdt.ReplicaID) (F, error) {
	f := t.newFields(replica)
	v := reflect.ValueOf(&f).Elem()
	seen := make(map[uintptr]string, len(t.layout.fields))
	for _, fd := range t.layout.fields {
		fv := v.Field(fd.index)
		if fv.IsNil() {
			return f, fmt.Errorf("%w: %s: the constructor returned a nil %s (field %q)", ErrBadStruct, t.name, fd.goName, fd.name)
		}
		if other, dup := seen[fv.Pointer()]; dup {
			return f, fmt.Errorf("%w: %s: the constructor returned one state for fields %q and %q", ErrBadStruct, t.name, other, fd.name)
		}
		seen[fv.Pointer()] = fd.name
	}
	return f, nil
}

// Struct is a CRDT composed of named CRDT fields: the fields of a user
// struct F, tagged `crdt:"name"`. Every operation of the contract comes from
// the fields, with no code per field:
//
//   - Merge joins each field with the same-named field of the other state
//     (by name, so a field can never be merged from the wrong one). A join of
//     joins, field by field, is a join, so the laws hold whenever they hold
//     for every field type.
//   - Payload is a JSON object from field name to that field's payload
//     (keys sorted); LoadPayload accepts those names and no others, and
//     loads a field that is absent as its empty state.
//   - Value is a map from field name to that field's Value.
//   - TakeDelta gives a Struct whose fields are the fields' deltas (empty
//     states for fields without one).
//   - Clone clones every field.
//
// Domain operations are written on F (or as functions) and reached through
// [Struct.Fields]; a mutation of a field records that field's delta, which
// the Struct's TakeDelta collects.
//
// Traps, and what we do about them:
//   - Atomicity. A merge or load that fails in one field must not leave the
//     others changed. Merge first merges every field but the last into a
//     clone, and LoadPayload loads them into fresh fields; then the last
//     field, atomic by its own contract, merges or loads for real, and only
//     then the others (TestStructMergeAtomic, TestStructLoadPayloadAtomic).
//     This costs a second merge or decode of all fields but one; in
//     exchange the field states stay the same objects, so a pointer taken
//     from Fields stays valid, and pending deltas are kept across merges
//     (TestStructMergeKeepsPendingDeltaAndPointers). Nested Structs run
//     their part of a trial without a trial of their own, so the cost does
//     not grow with depth; nor do Struct values that a [Map] merges or
//     loads into fresh values, which it drops on error.
//   - Strict payloads. An unknown field name, a null field or a name given
//     twice is an error naming the field (TestStructLoadPayloadStrict);
//     field errors carry the field's name in their path, such as
//     "followers.adds[2]".
//   - Schema evolution. A field missing from a payload loads as its empty
//     state: a type that gains a field still reads the payloads written
//     before (TestMisuseStructGainsAField). A payload with a field the type
//     does not have is still an error: dropping it would lose its data.
//   - Everything in F is replicated. A field without a tag is rejected when
//     the type is defined (TestDefineStructRejects): it would be neither
//     merged nor stored, silently.
//   - Identity. A Struct and all its fields are bound to the replica given
//     to [StructType.New] (or to payload.Unmarshal); nothing is read from a
//     payload.
//
// Do not replace the field pointers in F: the Struct owns them. A trial
// merge may advance the clocks that the fields share with their clones
// (hybrid logical clocks only ever move forward, so that is harmless). A
// Struct is not safe for concurrent use. The zero Struct has no type: it
// reads as empty (no fields, an empty Value and Payload), and Merge,
// MergeState and LoadPayload fail with [ErrZeroStruct]; create states with
// [StructType.New].
type Struct[F any] struct {
	typ     *StructType[F]
	replica crdt.ReplicaID
	fields  F
}

var _ crdt.CRDT[*Struct[struct{}], map[string]any] = (*Struct[struct{}])(nil)

// Fields returns the typed fields, for reading them and calling their
// mutators. The pointer and the field states it points to stay the same for
// the life of s (merges and loads change the states in place).
func (s *Struct[F]) Fields() *F { return &s.fields }

// Field returns the field named name, with its type erased.
func (s *Struct[F]) Field(name string) (crdt.State, bool) {
	if s.zero() {
		return nil, false
	}
	i, ok := s.typ.layout.byName[name]
	if !ok {
		return nil, false
	}
	return s.state(i), true
}

// Type returns the struct type s was created from.
func (s *Struct[F]) Type() *StructType[F] { return s.typ }

// Replica returns the replica s is bound to.
func (s *Struct[F]) Replica() crdt.ReplicaID { return s.replica }

// TypeName returns the name the type was defined with, empty for the zero
// Struct.
func (s *Struct[F]) TypeName() string {
	if s.zero() {
		return ""
	}
	return s.typ.name
}

// zero reports whether s has no type: the zero Struct, or one made by the
// zero StructType.
func (s *Struct[F]) zero() bool { return s.typ == nil || s.typ.layout == nil }

// state returns field i (in layout order) as a crdt.State.
func (s *Struct[F]) state(i int) crdt.State {
	return reflect.ValueOf(&s.fields).Elem().Field(s.typ.layout.fields[i].index).Interface().(crdt.State)
}

func (s *Struct[F]) states() []crdt.State {
	if s.zero() {
		return nil
	}
	v := reflect.ValueOf(&s.fields).Elem()
	out := make([]crdt.State, len(s.typ.layout.fields))
	for i, fd := range s.typ.layout.fields {
		out[i] = v.Field(fd.index).Interface().(crdt.State)
	}
	return out
}

// build returns a Struct whose field i is states[i], or a fresh empty field
// from the constructor where states[i] is nil.
func (t *StructType[F]) build(replica crdt.ReplicaID, states []crdt.State) *Struct[F] {
	s := t.New(replica)
	v := reflect.ValueOf(&s.fields).Elem()
	for i, fd := range t.layout.fields {
		if states[i] == nil {
			continue
		}
		sv := reflect.ValueOf(states[i])
		if sv.Type() != fd.typ {
			panic(fmt.Sprintf("compound: %s: field %q: %v returned a %v", t.name, fd.name, fd.typ, sv.Type()))
		}
		v.Field(fd.index).Set(sv)
	}
	return s
}

// Merge joins other into s field by field, matching fields by name. On
// error s is unchanged and the error names the field that failed. A nil
// other is an error wrapping crdt.ErrTypeMismatch, as is a Struct of another
// type name.
func (s *Struct[F]) Merge(other *Struct[F]) error {
	if err := s.compatible(other); err != nil {
		return err
	}
	mine, theirs := s.states(), other.states()
	last := len(mine) - 1
	// Trial run of every field but the last, on clones: if one fails,
	// nothing has changed.
	for i := range last {
		if err := mergeField(mine[i].CloneState(), theirs[i]); err != nil {
			return s.fieldErr("merging", i, err)
		}
	}
	// The last field merges atomically by its own contract (a nested Struct
	// runs its own trial): if it fails, nothing has changed either.
	if err := mine[last].MergeState(theirs[last]); err != nil {
		return s.fieldErr("merging", last, err)
	}
	for i := range last {
		if err := mergeField(mine[i], theirs[i]); err != nil {
			return s.fieldErr("merging", i, fmt.Errorf("%w: %w", ErrPartialMerge, err))
		}
	}
	return nil
}

func (s *Struct[F]) compatible(other *Struct[F]) error {
	if s.zero() {
		return fmt.Errorf("compound: Merge: %w", ErrZeroStruct)
	}
	if other == nil {
		return fmt.Errorf("%w: cannot merge a nil %s", crdt.ErrTypeMismatch, s.typ.name)
	}
	if other.zero() {
		return fmt.Errorf("compound: merging into %s: %w", s.typ.name, ErrZeroStruct)
	}
	if other.typ.name != s.typ.name {
		return fmt.Errorf("%w: cannot merge %s into %s", crdt.ErrTypeMismatch, other.typ.name, s.typ.name)
	}
	return nil
}

func (s *Struct[F]) fieldErr(op string, i int, err error) error {
	return fmt.Errorf("compound: %s %s field %q: %w", op, s.typ.name, s.typ.layout.fields[i].name, err)
}

// untrialled is implemented by Structs: merge and load without the trial
// run, for use inside a trial or a real run of an enclosing Struct, which
// already guarantees atomicity.
type untrialled interface {
	mergeUntrialled(other crdt.State) error
	loadUntrialled(data []byte) error
}

func (s *Struct[F]) mergeUntrialled(other crdt.State) error {
	o, ok := other.(*Struct[F])
	if !ok {
		return fmt.Errorf("%w: cannot merge %T into %T", crdt.ErrTypeMismatch, other, s)
	}
	if err := s.compatible(o); err != nil {
		return err
	}
	theirs := o.states()
	for i, st := range s.states() {
		if err := mergeField(st, theirs[i]); err != nil {
			return s.fieldErr("merging", i, err)
		}
	}
	return nil
}

func mergeField(dst, src crdt.State) error {
	if u, ok := dst.(untrialled); ok {
		return u.mergeUntrialled(src)
	}
	return dst.MergeState(src)
}

// MergeState implements crdt.State.
func (s *Struct[F]) MergeState(other crdt.State) error {
	return crdt.MergeStateAs[*Struct[F]](s, other)
}

// Clone returns a deep copy of s, field by field, bound to the same replica
// and without pending deltas.
func (s *Struct[F]) Clone() *Struct[F] {
	if s.zero() {
		return &Struct[F]{typ: s.typ, replica: s.replica}
	}
	mine := s.states()
	clones := make([]crdt.State, len(mine))
	for i, st := range mine {
		clones[i] = st.CloneState()
	}
	return s.typ.build(s.replica, clones)
}

// CloneState implements crdt.State.
func (s *Struct[F]) CloneState() crdt.State { return s.Clone() }

// Value returns a map from field name to the field's Value. Nested Structs
// give nested maps. For typed values, read the fields through
// [Struct.Fields].
func (s *Struct[F]) Value() map[string]any {
	if s.zero() {
		return map[string]any{}
	}
	v := reflect.ValueOf(&s.fields).Elem()
	out := make(map[string]any, len(s.typ.layout.fields))
	for _, fd := range s.typ.layout.fields {
		out[fd.name] = v.Field(fd.index).Method(fd.value).Call(nil)[0].Interface()
	}
	return out
}

// TakeDelta returns a Struct whose fields are the deltas taken from s's
// fields, and an empty state for each field that had none; ok is false when
// no field had a delta. The fields' deltas are cleared.
func (s *Struct[F]) TakeDelta() (*Struct[F], bool) {
	mine := s.states()
	deltas := make([]crdt.State, len(mine))
	found := false
	for i, st := range mine {
		if d, ok := st.TakeDeltaState(); ok {
			deltas[i], found = d, true
		}
	}
	if !found {
		return nil, false
	}
	return s.typ.build(s.replica, deltas), true
}

// TakeDeltaState implements crdt.State.
func (s *Struct[F]) TakeDeltaState() (crdt.State, bool) {
	d, ok := s.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

// Payload returns a JSON object from field name to the field's payload:
//
//	{"followers":{...},"following":{...}}
//
// Keys are sorted when encoded, and every field's payload is canonical, so
// equal Structs give identical bytes.
func (s *Struct[F]) Payload() any {
	mine := s.states()
	out := make(map[string]any, len(mine))
	for i, st := range mine {
		out[s.typ.layout.fields[i].name] = st.Payload()
	}
	return out
}

// LoadPayload replaces s's state with the one in data, an object from field
// name to field payload. Each field may be present once; a field that is
// absent loads as its empty state (the payload predates the field), and a
// name the type has no field for is an error naming it, as is a null field. The fields keep their identity.
// On error s is unchanged.
func (s *Struct[F]) LoadPayload(data []byte) error {
	if s.zero() {
		return fmt.Errorf("compound: LoadPayload: %w", ErrZeroStruct)
	}
	raws, err := s.splitPayload(data)
	if err != nil {
		return err
	}
	mine := s.states()
	last := len(mine) - 1
	if last > 0 {
		// Trial run of every field but the last, into fresh fields: if one
		// fails, nothing has changed.
		fresh := s.typ.New(s.replica).states()
		for i := range last {
			if err := loadField(fresh[i], raws[i]); err != nil {
				return s.loadErr(i, err)
			}
		}
	}
	// The last field loads atomically by its own contract.
	if err := mine[last].LoadPayload(raws[last]); err != nil {
		return s.loadErr(last, err)
	}
	for i := range last {
		if err := loadField(mine[i], raws[i]); err != nil {
			return s.loadErr(i, fmt.Errorf("%w: %w", ErrPartialMerge, err))
		}
	}
	return nil
}

func (s *Struct[F]) loadUntrialled(data []byte) error {
	if s.zero() {
		return fmt.Errorf("compound: LoadPayload: %w", ErrZeroStruct)
	}
	raws, err := s.splitPayload(data)
	if err != nil {
		return err
	}
	for i, st := range s.states() {
		if err := loadField(st, raws[i]); err != nil {
			return s.loadErr(i, err)
		}
	}
	return nil
}

func loadField(dst crdt.State, data []byte) error {
	if u, ok := dst.(untrialled); ok {
		return u.loadUntrialled(data)
	}
	return dst.LoadPayload(data)
}

func (s *Struct[F]) loadErr(i int, err error) error {
	if !errors.Is(err, payload.ErrInvalid) {
		err = fmt.Errorf("%w: %w", payload.ErrInvalid, err)
	}
	return payload.InField(s.typ.layout.fields[i].name, err)
}

// splitPayload decodes the outer object strictly and returns the raw field
// payloads in layout order.
func (s *Struct[F]) splitPayload(data []byte) ([]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := payload.DecodeStrict(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, payload.Invalidf("", "%s payload is null, not an object", s.typ.name)
	}
	l := s.typ.layout
	for name := range m {
		if _, ok := l.byName[name]; !ok {
			return nil, payload.Invalidf(name, "unknown field of %s", s.typ.name)
		}
	}
	raws := make([]json.RawMessage, len(l.fields))
	var empty []crdt.State
	for i, fd := range l.fields {
		raw, ok := m[fd.name]
		if !ok {
			// A field the payload's writer did not have yet (the type
			// gained it since): it loads as its empty state.
			if empty == nil {
				empty = s.typ.New(s.replica).states()
			}
			b, err := json.Marshal(empty[i].Payload())
			if err != nil {
				return nil, fmt.Errorf("compound: %s: encoding the empty %q: %w", s.typ.name, fd.name, err)
			}
			raws[i] = b
			continue
		}
		if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, payload.Invalidf(fd.name, "null, not a %s payload", fd.typ.Elem())
		}
		raws[i] = raw
	}
	return raws, nil
}
