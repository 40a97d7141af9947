package compound

import (
	"bytes"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// The decoding side keeps raw pieces, so that each can be decoded strictly
// and its errors placed in their field.
type mapPayloadIn struct {
	Context json.RawMessage `json:"context"`
	Entries *[]mapEntryIn   `json:"entries"`
}

type mapEntryIn struct {
	Key    json.RawMessage `json:"key"`
	Values *[]mapSlotIn    `json:"values"`
}

type mapSlotIn struct {
	Dot   *causal.Dot     `json:"dot"`
	Value json.RawMessage `json:"value"`
}

// Payload returns the canonical JSON form of the map:
//
//	{"context":<causal context>,"entries":[{"key":<K>,"values":[{"dot":<dot>,"value":<V>}]}]}
//
// with entries sorted by key ([payload.Compare]) and values by dot, written
// by [Map.AppendPayload] when it is encoded. The value reads the map and
// must not be kept after the map changes.
func (m *Map[K, V]) Payload() any { return payload.Appended(m.AppendPayload) }

// AppendPayload appends the canonical JSON form of the map's state to dst
// in one in-order walk of the keys, with no sort. Values that are
// [payload.Appender]s write themselves; others go through the JSON encoder.
func (m *Map[K, V]) AppendPayload(dst []byte) ([]byte, error) {
	dst = append(dst, `{"context":`...)
	dst = m.context().AppendJSON(dst)
	dst = append(dst, `,"entries":[`...)
	first := true
	var err error
	for k, slots := range m.store.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `{"key":`...)
		if dst, err = payload.AppendElement(dst, k); err != nil {
			return dst, err
		}
		dst = append(dst, `,"values":[`...)
		i := 0
		for d, v := range slots.Each() {
			if i > 0 {
				dst = append(dst, ',')
			}
			i++
			dst = append(dst, `{"dot":`...)
			dst = causal.AppendDot(dst, d)
			dst = append(dst, `,"value":`...)
			if dst, err = appendValue(dst, v); err != nil {
				return dst, fmt.Errorf("key %v: %w", k, err)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, "]}"...), nil
}

// appendValue appends the payload state of v.
func appendValue(dst []byte, v crdt.State) ([]byte, error) {
	if a, ok := v.(payload.Appender); ok {
		return a.AppendPayload(dst)
	}
	b, err := json.Marshal(v.Payload())
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// LoadPayload replaces the map's state with the one encoded in data, keeping
// the map's replica and value constructor and dropping any pending delta.
// Each value is decoded by V's LoadPayload into a fresh value bound to the
// map's replica. It rejects unknown fields, missing fields, an invalid
// context, a key listed twice, an entry without values, an invalid dot, a
// dot listed twice (in one entry or across entries), a dot that the context
// has not seen, and any value that V rejects; errors wrap
// [payload.ErrInvalid] and name the field, such as
// "entries[3].values[0].value.p.counts[0].n". On error m is unchanged.
func (m *Map[K, V]) LoadPayload(data []byte) error {
	if err := m.ready(); err != nil {
		return fmt.Errorf("compound: Map.LoadPayload: %w", err)
	}
	var in mapPayloadIn
	if err := payload.DecodeStrict(data, &in); err != nil {
		return err
	}
	if isMissing(in.Context) {
		return payload.Invalidf("context", "missing")
	}
	cc := new(causal.Context)
	if err := cc.UnmarshalJSON(in.Context); err != nil {
		return payload.InField("context", err)
	}
	if in.Entries == nil {
		return payload.Invalidf("entries", "missing")
	}
	var store causal.Store[K, V]
	check := causal.NewDotChecker(cc, len(*in.Entries))
	for i, e := range *in.Entries {
		field := payload.Index("entries", i)
		if isMissing(e.Key) {
			return payload.Invalidf(field+".key", "missing")
		}
		var k K
		if err := payload.DecodeStrict(e.Key, &k); err != nil {
			return payload.InField(field+".key", err)
		}
		if e.Values == nil {
			return payload.Invalidf(field+".values", "missing")
		}
		if len(*e.Values) == 0 {
			return payload.Invalidf(field+".values", "empty: a present key has at least one dot")
		}
		if store.Has(k) {
			return payload.Invalidf(field+".key", "key %s listed twice", e.Key)
		}
		slots := make([]causal.Slot[V], 0, len(*e.Values))
		for j, sl := range *e.Values {
			sf := payload.Index(field+".values", j)
			if sl.Dot == nil {
				return payload.Invalidf(sf+".dot", "missing")
			}
			d := *sl.Dot
			if err := check.Check(d); err != nil {
				return payload.InField(sf+".dot", err)
			}
			if isMissing(sl.Value) {
				return payload.Invalidf(sf+".value", "missing")
			}
			// A fresh value, dropped on error: a Struct value needs no
			// atomicity trial (loadField).
			v := m.newValue(m.replica)
			if err := loadField(v, sl.Value); err != nil {
				return payload.InField(sf+".value", err)
			}
			slots = append(slots, causal.Slot[V]{Val: v, Dot: d})
		}
		store.Put(k, causal.SlotsOf(slots...))
	}
	m.cc, m.store, m.delta = cc, store, nil
	return nil
}

func isMissing(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
