package counters_test

import (
	json "github.com/goccy/go-json"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

func mustMarshal(t interface {
	Helper()
	Fatal(...any)
}, s crdt.State) []byte {
	t.Helper()
	b, err := payload.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t interface {
	Helper()
	Fatal(...any)
}, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
