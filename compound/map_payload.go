package compound

import (
	"bytes"
	"fmt"
	"slices"

	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/causal"
	"github.com/crdtkit/crdtkit/payload"
)

// The JSON form of a Map. Fields are declared in the order of their JSON keys
// so that the encoding is canonical.
type mapPayload[K comparable] struct {
	Context *causal.Context  `json:"context"`
	Entries []mapEntryOut[K] `json:"entries"`
}

type mapEntryOut[K comparable] struct {
	Key    K            `json:"key"`
	Values []mapSlotOut `json:"values"`
}

type mapSlotOut struct {
	Dot   causal.Dot `json:"dot"`
	Value any        `json:"value"`
}

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
// with entries sorted by key ([payload.Compare]) and values by dot.
func (m *Map[K, V]) Payload() any {
	keys := m.Keys()
	out := &mapPayload[K]{Context: m.context(), Entries: make([]mapEntryOut[K], len(keys))}
	for i, k := range keys {
		slots := m.entries[k]
		vals := make([]mapSlotOut, len(slots))
		for j, s := range slots {
			vals[j] = mapSlotOut{Dot: s.dot, Value: s.val.Payload()}
		}
		out.Entries[i] = mapEntryOut[K]{Key: k, Values: vals}
	}
	return out
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
	entries := make(map[K][]slot[V], len(*in.Entries))
	index := make(map[causal.Dot]K)
	keyAt := make(map[K]int, len(*in.Entries))
	for i, e := range *in.Entries {
		field := payload.Index("entries", i)
		if isMissing(e.Key) {
			return payload.Invalidf(field+".key", "missing")
		}
		var k K
		if err := payload.DecodeStrict(e.Key, &k); err != nil {
			return payload.InField(field+".key", err)
		}
		if j, dup := keyAt[k]; dup {
			return payload.Invalidf(field+".key", "key %s listed twice (also in entries[%d])", e.Key, j)
		}
		keyAt[k] = i
		if e.Values == nil {
			return payload.Invalidf(field+".values", "missing")
		}
		if len(*e.Values) == 0 {
			return payload.Invalidf(field+".values", "empty: a present key has at least one dot")
		}
		slots := make([]slot[V], 0, len(*e.Values))
		for j, s := range *e.Values {
			sf := payload.Index(field+".values", j)
			if s.Dot == nil {
				return payload.Invalidf(sf+".dot", "missing")
			}
			d := *s.Dot
			if err := d.Validate(); err != nil {
				return payload.InField(sf+".dot", err)
			}
			if !cc.Contains(d) {
				return payload.Invalidf(sf+".dot", "dot %s is not in the context", d)
			}
			if _, dup := index[d]; dup {
				return payload.Invalidf(sf+".dot", "dot %s listed twice", d)
			}
			index[d] = k
			if isMissing(s.Value) {
				return payload.Invalidf(sf+".value", "missing")
			}
			// A fresh value, dropped on error: a Struct value needs no
			// atomicity trial (loadField).
			v := m.newValue(m.replica)
			if err := loadField(v, s.Value); err != nil {
				return payload.InField(sf+".value", err)
			}
			slots = append(slots, slot[V]{dot: d, val: v})
		}
		slices.SortFunc(slots, compareSlots)
		entries[k] = slots
	}
	m.cc, m.entries, m.index, m.delta = cc, entries, index, nil
	return nil
}

func isMissing(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}
