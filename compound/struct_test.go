package compound_test

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// profile is a flat struct of two fields.
type profile struct {
	Score *stMax `crdt:"score"`
	Tags  *stSet `crdt:"tags"`
}

var profileType = compound.MustRegisterStruct("compoundtest.Profile", func(r crdt.ReplicaID) profile {
	return profile{Score: newStMax(r), Tags: newStSet(r)}
})

// account nests a profile; org nests an account, for three levels.
type account struct {
	Logins *stMax                    `crdt:"logins"`
	Owner  *compound.Struct[profile] `crdt:"owner"`
}

var accountType = compound.MustRegisterStruct("compoundtest.Account", func(r crdt.ReplicaID) account {
	return account{Logins: newStMax(r), Owner: profileType.New(r)}
})

type org struct {
	Admin   *compound.Struct[account] `crdt:"admin"`
	Members *stSet                    `crdt:"members"`
}

var orgType = compound.MustRegisterStruct("compoundtest.Org", func(r crdt.ReplicaID) org {
	return org{Admin: accountType.New(r), Members: newStSet(r)}
})

func marshal(t testing.TB, s crdt.State) []byte {
	t.Helper()
	b, err := payload.Marshal(s)
	require.NoError(t, err)
	return b
}

func TestStructPayloadShapeAndRoundTrip(t *testing.T) {
	p := profileType.New("r1")
	p.Fields().Score.Set(3)
	p.Fields().Tags.Add("b")
	p.Fields().Tags.Add("a")

	b := marshal(t, p)
	assert.Equal(t, `{"state":{"score":{"v":3},"tags":{"e":["a","b"]}},"type":"compoundtest.Profile","version":1}`, string(b))

	got, err := payload.UnmarshalAs[*compound.Struct[profile]](b, "r2")
	require.NoError(t, err)
	assert.Equal(t, crdt.ReplicaID("r2"), got.Replica(), "a decoded state is bound to the replica passed in")
	assert.Equal(t, crdt.ReplicaID("r2"), got.Fields().Score.replica, "and so are its fields")
	assert.Equal(t, map[string]any{"score": uint64(3), "tags": []string{"a", "b"}}, got.Value())
	assert.Equal(t, b, marshal(t, got))
	_, pending := got.TakeDelta()
	assert.False(t, pending, "a loaded state has no pending delta")
}

func TestStructNestedPayload(t *testing.T) {
	o := orgType.New("r1")
	o.Fields().Members.Add("m")
	o.Fields().Admin.Fields().Logins.Set(2)
	o.Fields().Admin.Fields().Owner.Fields().Tags.Add("t")

	b := marshal(t, o)
	assert.Equal(t, `{"state":{"admin":{"logins":{"v":2},"owner":{"score":{"v":0},"tags":{"e":["t"]}}},"members":{"e":["m"]}},"type":"compoundtest.Org","version":1}`, string(b))
	got, err := payload.UnmarshalAs[*compound.Struct[org]](b, "r9")
	require.NoError(t, err)
	assert.Equal(t, crdt.ReplicaID("r9"), got.Fields().Admin.Fields().Owner.Fields().Tags.replica)
	assert.Equal(t, b, marshal(t, got))
	assert.Equal(t, map[string]any{
		"admin": map[string]any{
			"logins": uint64(2),
			"owner":  map[string]any{"score": uint64(0), "tags": []string{"t"}},
		},
		"members": []string{"m"},
	}, got.Value())
}

// TestStructMergeMatchesOracle runs random operations on three replicas of
// the nested org type, merges them in random orders and compares the result
// with an independent model: per path, the max of the registers and the
// union of the sets.
func TestStructMergeMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type model struct {
			logins, score uint64
			tags, members map[string]bool
		}
		ids := []crdt.ReplicaID{"a", "b", "c"}
		states := make([]*compound.Struct[org], len(ids))
		var want model
		want.tags, want.members = map[string]bool{}, map[string]bool{}
		for i, id := range ids {
			states[i] = orgType.New(id)
		}
		elem := rapid.SampledFrom([]string{"x", "y", "z", "w"})
		for range rapid.IntRange(0, 20).Draw(t, "ops") {
			i := rapid.IntRange(0, len(ids)-1).Draw(t, "replica")
			f := states[i].Fields()
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				v := rapid.Uint64Range(0, 100).Draw(t, "v")
				f.Admin.Fields().Logins.Set(v)
				want.logins = max(want.logins, v)
			case 1:
				v := rapid.Uint64Range(0, 100).Draw(t, "v")
				f.Admin.Fields().Owner.Fields().Score.Set(v)
				want.score = max(want.score, v)
			case 2:
				e := elem.Draw(t, "e")
				f.Admin.Fields().Owner.Fields().Tags.Add(e)
				want.tags[e] = true
			case 3:
				e := elem.Draw(t, "e")
				f.Members.Add(e)
				want.members[e] = true
			}
		}
		order := rapid.Permutation([]int{0, 1, 2}).Draw(t, "order")
		acc := states[order[0]].Clone()
		for _, i := range order[1:] {
			require.NoError(t, acc.Merge(states[i]))
		}
		// Merging again, in another order, changes nothing (idempotence).
		for _, i := range slices.Backward(order) {
			require.NoError(t, acc.Merge(states[i]))
		}
		keys := func(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }
		assert.Equal(t, map[string]any{
			"admin": map[string]any{
				"logins": want.logins,
				"owner":  map[string]any{"score": want.score, "tags": keys(want.tags)},
			},
			"members": keys(want.members),
		}, acc.Value())
	})
}

// TestStructMergeLaws checks commutativity, associativity and idempotence on
// canonical bytes, and that merge does not alias the other state.
func TestStructMergeLaws(t *testing.T) {
	gen := func(t *rapid.T, id crdt.ReplicaID) *compound.Struct[account] {
		a := accountType.New(id)
		a.Fields().Logins.Set(rapid.Uint64Range(0, 9).Draw(t, "logins"))
		a.Fields().Owner.Fields().Score.Set(rapid.Uint64Range(0, 9).Draw(t, "score"))
		for _, e := range rapid.SliceOfN(rapid.SampledFrom([]string{"p", "q", "r"}), 0, 3).Draw(t, "tags") {
			a.Fields().Owner.Fields().Tags.Add(e)
		}
		return a
	}
	rapid.Check(t, func(rt *rapid.T) {
		a, b, c := gen(rt, "a"), gen(rt, "b"), gen(rt, "c")
		join := func(x, y *compound.Struct[account]) *compound.Struct[account] {
			z, err := crdt.Merge(x, y)
			require.NoError(t, err)
			return z
		}
		assert.Equal(t, marshal(t, join(a, b)), marshal(t, join(b, a)), "commutative")
		assert.Equal(t, marshal(t, join(join(a, b), c)), marshal(t, join(a, join(b, c))), "associative")
		assert.Equal(t, marshal(t, a), marshal(t, join(a, a)), "idempotent")

		before := marshal(t, b)
		ab := join(a, b)
		ab.Fields().Owner.Fields().Tags.Add("fresh")
		assert.Equal(t, before, marshal(t, b), "merge must not alias the other state")
	})
}

func TestStructTakeDelta(t *testing.T) {
	o := orgType.New("r1")
	_, ok := o.TakeDelta()
	assert.False(t, ok, "no mutation, no delta")

	stale := o.Clone()
	o.Fields().Admin.Fields().Owner.Fields().Tags.Add("t")
	o.Fields().Members.Add("m")
	d, ok := o.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, `{"state":{"admin":{"logins":{"v":0},"owner":{"score":{"v":0},"tags":{"e":["t"]}}},"members":{"e":["m"]}},"type":"compoundtest.Org","version":1}`,
		string(marshal(t, d)), "the delta holds the fields' deltas and empty states elsewhere")
	_, ok = o.TakeDelta()
	assert.False(t, ok, "TakeDelta clears the deltas")

	// Only the admin's logins change: the delta carries only that.
	o.Fields().Admin.Fields().Logins.Set(7)
	d2, ok := o.TakeDelta()
	require.True(t, ok)
	assert.Equal(t, map[string]any{
		"admin":   map[string]any{"logins": uint64(7), "owner": map[string]any{"score": uint64(0), "tags": []string(nil)}},
		"members": []string(nil),
	}, d2.Value())

	require.NoError(t, stale.Merge(d))
	require.NoError(t, stale.Merge(d2))
	assert.Equal(t, marshal(t, o), marshal(t, stale), "deltas into a stale copy give the full state")
}

func TestStructCloneIsIndependent(t *testing.T) {
	a := accountType.New("r1")
	a.Fields().Owner.Fields().Tags.Add("x")
	c := a.Clone()
	assert.Equal(t, crdt.ReplicaID("r1"), c.Replica())
	_, ok := c.TakeDelta()
	assert.False(t, ok, "a clone has no pending delta")
	c.Fields().Owner.Fields().Tags.Add("y")
	c.Fields().Logins.Set(4)
	assert.Equal(t, []string{"x"}, a.Fields().Owner.Fields().Tags.Value())
	assert.Equal(t, uint64(0), a.Fields().Logins.Value())
	d, ok := a.TakeDelta()
	require.True(t, ok, "cloning leaves the original's pending delta alone")
	assert.Equal(t, []string{"x"}, d.Fields().Owner.Fields().Tags.Value())
}

func TestStructMergeAtomic(t *testing.T) {
	t.Run("flat", func(t *testing.T) {
		p := profileType.New("r1")
		p.Fields().Score.Set(1)
		p.Fields().Tags.Add("a")
		before := marshal(t, p)

		q := profileType.New("r2")
		q.Fields().Score.Set(5) // "score" comes first and would merge fine
		q.Fields().Tags.Add(stPoison)
		err := p.Merge(q)
		require.Error(t, err)
		assert.ErrorIs(t, err, crdt.ErrConflict)
		assert.NotErrorIs(t, err, compound.ErrPartialMerge)
		assert.Contains(t, err.Error(), `"tags"`)
		assert.Equal(t, string(before), string(marshal(t, p)), "a failed merge changes nothing")
	})
	t.Run("nested", func(t *testing.T) {
		o := orgType.New("r1")
		o.Fields().Members.Add("m")
		before := marshal(t, o)

		q := orgType.New("r2")
		q.Fields().Members.Add("n")
		q.Fields().Admin.Fields().Logins.Set(9)
		q.Fields().Admin.Fields().Owner.Fields().Score.Set(9)
		q.Fields().Admin.Fields().Owner.Fields().Tags.Add(stPoison)
		err := o.Merge(q)
		require.Error(t, err)
		assert.ErrorIs(t, err, crdt.ErrConflict)
		assert.Contains(t, err.Error(), `"admin"`)
		assert.Contains(t, err.Error(), `"owner"`)
		assert.Equal(t, string(before), string(marshal(t, o)), "a failed nested merge changes nothing")
	})
}

func TestStructMergeKeepsPendingDeltaAndPointers(t *testing.T) {
	p := profileType.New("r1")
	tags := p.Fields().Tags
	tags.Add("mine")
	q := profileType.New("r2")
	q.Fields().Tags.Add("theirs")
	q.Fields().Score.Set(3)
	require.NoError(t, p.Merge(q))

	assert.Same(t, tags, p.Fields().Tags, "field states are merged in place")
	assert.Equal(t, []string{"mine", "theirs"}, tags.Value())
	d, ok := p.TakeDelta()
	require.True(t, ok, "a merge keeps the pending delta of local mutations")
	assert.Equal(t, []string{"mine"}, d.Fields().Tags.Value(), "and does not add the merged state to it")
	assert.Equal(t, uint64(0), d.Fields().Score.Value())

	require.NoError(t, p.LoadPayload([]byte(`{"score":{"v":1},"tags":{"e":["z"]}}`)))
	assert.Same(t, tags, p.Fields().Tags, "field states are loaded in place")
	assert.Equal(t, []string{"z"}, tags.Value())
}

func TestStructMergeTypeMismatch(t *testing.T) {
	p := profileType.New("r1")
	assert.ErrorIs(t, p.MergeState(newStMax("r2")), crdt.ErrTypeMismatch)
	assert.ErrorIs(t, p.MergeState(accountType.New("r2")), crdt.ErrTypeMismatch)
	assert.ErrorIs(t, p.Merge(nil), crdt.ErrTypeMismatch)

	// The same fields struct defined under another name is another type.
	other, err := compound.DefineStruct("compoundtest.ProfileTwin", func(r crdt.ReplicaID) profile {
		return profile{Score: newStMax(r), Tags: newStSet(r)}
	})
	require.NoError(t, err)
	assert.ErrorIs(t, p.Merge(other.New("r2")), crdt.ErrTypeMismatch)
}

func TestStructLoadPayloadStrict(t *testing.T) {
	cases := []struct {
		name, data, field string
	}{
		{"unknown field", `{"score":{"v":1},"tags":{"e":[]},"bogus":{}}`, "bogus"},
		{"null field", `{"score":{"v":1},"tags":null}`, "tags"},
		{"duplicate field", `{"score":{"v":1},"tags":{"e":[]},"score":{"v":2}}`, "score"},
		{"escaped duplicate", `{"score":{"v":1},"tags":{"e":[]},"\u0073core":{"v":2}}`, "score"},
		{"field invariant", `{"score":{"v":1},"tags":{"e":["b","a"]}}`, "tags.e[1]"},
		{"field wrong type", `{"score":{"v":"1"},"tags":{"e":[]}}`, "score.v"},
		{"field unknown member", `{"score":{"v":1,"w":2},"tags":{"e":[]}}`, "score.w"},
		{"array", `[]`, ""},
		{"null", `null`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := profileType.New("r1")
			p.Fields().Tags.Add("keep")
			before := marshal(t, p)
			err := p.LoadPayload([]byte(c.data))
			require.Error(t, err)
			assert.ErrorIs(t, err, payload.ErrInvalid)
			var fe *payload.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, c.field, fe.Field)
			assert.Equal(t, before, marshal(t, p), "a failed load changes nothing")
		})
	}
	for _, bad := range []string{``, `{`, `{"score":{"v":1},"tags":{"e":[]}} x`, `"s"`, `{"score":{"v":1},"tags":{"e":[]}}}`} {
		p := profileType.New("r1")
		assert.ErrorIs(t, p.LoadPayload([]byte(bad)), payload.ErrInvalid, "%q", bad)
	}
}

func TestStructLoadPayloadErrorPathThroughEnvelope(t *testing.T) {
	data := `{"state":{"admin":{"logins":{"v":0},"owner":{"score":{"v":0},"tags":{"e":["b","b"]}}},"members":{"e":[]}},"type":"compoundtest.Org","version":1}`
	_, err := payload.Unmarshal([]byte(data), "r1")
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "state.admin.owner.tags.e[1]", fe.Field)
	assert.ErrorIs(t, err, payload.ErrInvalid)
}

func TestStructLoadPayloadAtomic(t *testing.T) {
	o := orgType.New("r1")
	o.Fields().Members.Add("m")
	o.Fields().Admin.Fields().Owner.Fields().Tags.Add("t")
	before := marshal(t, o)
	// Valid admin.logins and members, invalid admin.owner.tags: the fields
	// loaded before the bad one must not have changed.
	err := o.LoadPayload([]byte(`{"admin":{"logins":{"v":7},"owner":{"score":{"v":7},"tags":{"e":["z","a"]}}},"members":{"e":["q"]}}`))
	require.Error(t, err)
	assert.Equal(t, string(before), string(marshal(t, o)))
}

type (
	untagged struct {
		A *stMax `crdt:"a"`
		B *stMax
	}
	unexported struct {
		A *stMax `crdt:"a"`
		b *stMax `crdt:"b"`
	}
	notPointer struct {
		A stMax `crdt:"a"`
	}
	notCRDT struct {
		A *strings.Builder `crdt:"a"`
	}
	noValue struct {
		A *stateOnly `crdt:"a"`
	}
	dupNames struct {
		A *stMax `crdt:"x"`
		B *stMax `crdt:"x"`
	}
	emptyTag struct {
		A *stMax `crdt:""`
	}
	dashTag struct {
		A *stMax `crdt:"-"`
	}
	noFields struct{}
	twoMax   struct {
		A *stMax `crdt:"a"`
		B *stMax `crdt:"b"`
	}
)

// stateOnly is a crdt.State without a Value method.
type stateOnly struct{ crdt.State }

func TestDefineStructRejects(t *testing.T) {
	check := func(t *testing.T, err error, mentions ...string) {
		t.Helper()
		require.Error(t, err)
		assert.ErrorIs(t, err, compound.ErrBadStruct)
		for _, m := range mentions {
			assert.Contains(t, err.Error(), m)
		}
	}
	_, err := compound.DefineStruct("x", func(crdt.ReplicaID) untagged { return untagged{} })
	check(t, err, "untagged.B", "tag")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) unexported { return unexported{} })
	check(t, err, "unexported.b", "unexported")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) notPointer { return notPointer{} })
	check(t, err, "notPointer.A")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) notCRDT { return notCRDT{} })
	check(t, err, "notCRDT.A", "crdt.State")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) noValue { return noValue{} })
	check(t, err, "noValue.A", "Value")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) dupNames { return dupNames{} })
	check(t, err, `"x"`)
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) emptyTag { return emptyTag{} })
	check(t, err, "emptyTag.A")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) dashTag { return dashTag{} })
	check(t, err, "dashTag.A")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) noFields { return noFields{} })
	check(t, err, "no fields")
	_, err = compound.DefineStruct("x", func(crdt.ReplicaID) int { return 0 })
	check(t, err, "not a struct")
	_, err = compound.DefineStruct("x", func(r crdt.ReplicaID) twoMax { return twoMax{A: newStMax(r)} })
	check(t, err, `"b"`, "nil")
	_, err = compound.DefineStruct("x", func(r crdt.ReplicaID) twoMax { m := newStMax(r); return twoMax{A: m, B: m} })
	check(t, err, `"a"`, `"b"`, "one state")
	_, err = compound.DefineStruct("", func(r crdt.ReplicaID) twoMax { return twoMax{A: newStMax(r), B: newStMax(r)} })
	check(t, err, "name")
	_, err = compound.DefineStruct[twoMax]("x", nil)
	check(t, err, "constructor")
}

func TestRegisterStructDuplicateName(t *testing.T) {
	_, err := compound.RegisterStruct("compoundtest.Profile", func(r crdt.ReplicaID) profile {
		return profile{Score: newStMax(r), Tags: newStSet(r)}
	})
	assert.ErrorIs(t, err, payload.ErrDuplicateType)
	assert.Panics(t, func() {
		compound.MustRegisterStruct("compoundtest.Profile", func(r crdt.ReplicaID) profile {
			return profile{Score: newStMax(r), Tags: newStSet(r)}
		})
	})
}

func TestStructTypeAccessors(t *testing.T) {
	assert.Equal(t, "compoundtest.Account", accountType.Name())
	assert.Equal(t, []string{"logins", "owner"}, accountType.FieldNames())
	a := accountType.New("r1")
	assert.Same(t, accountType, a.Type())
	assert.Equal(t, "compoundtest.Account", a.TypeName())
	st, ok := a.Field("owner")
	require.True(t, ok)
	assert.Same(t, a.Fields().Owner, st)
	_, ok = a.Field("nope")
	assert.False(t, ok)

	// A type defined without registering can be registered elsewhere.
	twin, err := compound.DefineStruct("compoundtest.Twin", func(r crdt.ReplicaID) twoMax {
		return twoMax{A: newStMax(r), B: newStMax(r)}
	})
	require.NoError(t, err)
	var reg payload.Registry
	require.NoError(t, reg.Register(twin.PayloadType()))
	codec := payload.Codec{Registry: &reg}
	x := twin.New("r1")
	x.Fields().B.Set(4)
	b, err := codec.Marshal(x)
	require.NoError(t, err)
	y, err := codec.Unmarshal(b, "r2")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"a": uint64(0), "b": uint64(4)}, y.(*compound.Struct[twoMax]).Value())
	_, err = payload.Marshal(x)
	assert.ErrorIs(t, err, payload.ErrUnknownType, "not in the default registry")
}

func TestStructPayloadIsCanonical(t *testing.T) {
	// Two replicas reaching the same state by different routes give
	// identical bytes.
	a, b := orgType.New("a"), orgType.New("b")
	for _, e := range []string{"z", "a", "m"} {
		a.Fields().Members.Add(e)
	}
	for _, e := range []string{"m", "z", "a"} {
		b.Fields().Members.Add(e)
	}
	require.NoError(t, a.Merge(b))
	require.NoError(t, b.Merge(a))
	assert.True(t, bytes.Equal(marshal(t, a), marshal(t, b)))
	assert.True(t, payload.Equal(a, b))
	assert.Equal(t, a.Value(), b.Value())
}

// stFlaky is a max register whose merge fails on every second call, shared
// with its clones: a field type that breaks the contract by not being
// deterministic, to show what Struct reports then.
type stFlaky struct {
	*stMax
	calls *int
}

func (f *stFlaky) Merge(o *stFlaky) error {
	*f.calls++
	if *f.calls%2 == 0 {
		return errors.New("flaky")
	}
	return f.stMax.Merge(o.stMax)
}
func (f *stFlaky) MergeState(o crdt.State) error { return crdt.MergeStateAs[*stFlaky](f, o) }
func (f *stFlaky) Clone() *stFlaky               { return &stFlaky{stMax: f.stMax.Clone(), calls: f.calls} }
func (f *stFlaky) CloneState() crdt.State        { return f.Clone() }
func (f *stFlaky) TypeName() string              { return "compoundtest.Flaky" }

type (
	tagsFirst struct {
		Tags  *stSet `crdt:"tags"`
		Score *stMax `crdt:"score"`
	}
	wrapper struct {
		Inner *compound.Struct[profile] `crdt:"inner"`
	}
	flakyFirst struct {
		Flaky *stFlaky `crdt:"flaky"`
		Score *stMax   `crdt:"score"`
	}
)

var (
	tagsFirstType = compound.MustRegisterStruct("compoundtest.TagsFirst", func(r crdt.ReplicaID) tagsFirst {
		return tagsFirst{Tags: newStSet(r), Score: newStMax(r)}
	})
	wrapperType = compound.MustRegisterStruct("compoundtest.Wrapper", func(r crdt.ReplicaID) wrapper {
		return wrapper{Inner: profileType.New(r)}
	})
)

// TestStructMergeAtomicEveryPosition: whichever field fails (first, last,
// a nested Struct in last place, the only field), nothing changes.
func TestStructMergeAtomicEveryPosition(t *testing.T) {
	t.Run("failing field first", func(t *testing.T) {
		x, y := tagsFirstType.New("x"), tagsFirstType.New("y")
		y.Fields().Tags.Add(stPoison)
		y.Fields().Score.Set(3)
		before := marshal(t, x)
		require.ErrorIs(t, x.Merge(y), crdt.ErrConflict)
		assert.Equal(t, string(before), string(marshal(t, x)))
	})
	t.Run("nested struct last", func(t *testing.T) {
		x, y := accountType.New("x"), accountType.New("y")
		y.Fields().Logins.Set(5)
		y.Fields().Owner.Fields().Score.Set(5)
		y.Fields().Owner.Fields().Tags.Add(stPoison)
		before := marshal(t, x)
		err := x.Merge(y)
		require.ErrorIs(t, err, crdt.ErrConflict)
		assert.NotErrorIs(t, err, compound.ErrPartialMerge)
		assert.Equal(t, string(before), string(marshal(t, x)))
	})
	t.Run("nested struct only", func(t *testing.T) {
		x, y := wrapperType.New("x"), wrapperType.New("y")
		y.Fields().Inner.Fields().Score.Set(5)
		y.Fields().Inner.Fields().Tags.Add(stPoison)
		before := marshal(t, x)
		require.ErrorIs(t, x.Merge(y), crdt.ErrConflict)
		assert.Equal(t, string(before), string(marshal(t, x)))

		err := x.LoadPayload([]byte(`{"inner":{"score":{"v":9},"tags":{"e":["b","a"]}}}`))
		var fe *payload.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "inner.tags.e[1]", fe.Field)
		assert.Equal(t, string(before), string(marshal(t, x)))
	})
	t.Run("non-deterministic field", func(t *testing.T) {
		typ, err := compound.DefineStruct("compoundtest.FlakyFirst", func(r crdt.ReplicaID) flakyFirst {
			return flakyFirst{Flaky: &stFlaky{stMax: newStMax(r), calls: new(int)}, Score: newStMax(r)}
		})
		require.NoError(t, err)
		x, y := typ.New("x"), typ.New("y")
		err = x.Merge(y) // the trial succeeds, the real merge fails
		require.ErrorIs(t, err, compound.ErrPartialMerge)
		assert.Contains(t, err.Error(), `"flaky"`)
	})
}

// TestStructPayloadKeyScanning: colons, braces and quotes inside strings and
// whitespace around names do not confuse the strict decoding of the outer
// object, and a name repeated inside a nested Struct is reported with its
// path.
func TestStructPayloadKeyScanning(t *testing.T) {
	o := orgType.New("r1")
	require.NoError(t, o.LoadPayload([]byte("{ \"admin\" : {\"logins\":{\"v\":1},\"owner\":{\"score\":{\"v\":1},\"tags\":{\"e\":[\"a:b\",\"{c}:\"]}}} ,\n \"members\" : {\"e\":[\"\\\"}:\",\":\"]} }")))
	assert.Equal(t, []string{"\"}:", ":"}, o.Fields().Members.Value())
	assert.Equal(t, []string{"a:b", "{c}:"}, o.Fields().Admin.Fields().Owner.Fields().Tags.Value())

	err := o.LoadPayload([]byte(`{"admin":{"logins":{"v":1},"logins":{"v":2},"owner":{"score":{"v":1},"tags":{"e":[]}}},"members":{"e":[]}}`))
	var fe *payload.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "admin.logins", fe.Field, "a duplicate inside a nested Struct is named with its path")
}
