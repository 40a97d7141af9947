package store

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// Memory is an in-memory [Backend] for tests and examples: a map of records
// (snapshot and log) guarded by a mutex, holding copies of what it is given.
// Nothing survives the process. The zero value is not ready; use
// [NewMemory].
type Memory struct {
	mu      sync.Mutex
	records map[string]*memRecord
	closed  bool
}

type memRecord struct {
	typ      string
	snapshot []byte
	log      [][]byte
	logBytes int64
}

func (r *memRecord) sizes() Sizes {
	return Sizes{Snapshot: int64(len(r.snapshot)), Log: r.logBytes}
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory backend.
func NewMemory() *Memory {
	return &Memory{records: make(map[string]*memRecord)}
}

// lock takes the mutex unless ctx is done or the backend is closed.
func (m *Memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed || m.records == nil {
		m.mu.Unlock()
		return ErrClosed
	}
	return nil
}

func (r *memRecord) export() *Record {
	rec := &Record{Type: r.typ, Snapshot: slices.Clone(r.snapshot)}
	for _, e := range r.log {
		rec.Log = append(rec.Log, slices.Clone(e))
	}
	return rec
}

// Load returns a copy of key's record.
func (m *Memory) Load(ctx context.Context, key string) (*Record, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	r, ok := m.records[key]
	if !ok {
		return nil, ErrNotFound
	}
	return r.export(), nil
}

// Append adds a copy of entry to key's log under the mutex.
func (m *Memory) Append(ctx context.Context, key, typ string, entry []byte) (Sizes, error) {
	if err := m.lock(ctx); err != nil {
		return Sizes{}, err
	}
	defer m.mu.Unlock()
	r, ok := m.records[key]
	switch {
	case !ok:
		r = &memRecord{typ: typ}
		m.records[key] = r
	case r.typ == "":
		return Sizes{}, ErrUnchecked
	case r.typ != typ:
		return Sizes{}, TypeMismatch(r.typ, typ)
	}
	r.log = append(r.log, slices.Clone(entry))
	r.logBytes += int64(len(entry))
	return r.sizes(), nil
}

// AppendRaw adds entry to key's log as is, bypassing every check, creating a
// record bound to no type if key has none. Tests use it to plant bad
// entries.
func (m *Memory) AppendRaw(key string, entry []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[key]
	if !ok {
		r = &memRecord{}
		m.records[key] = r
	}
	r.log = append(r.log, slices.Clone(entry))
	r.logBytes += int64(len(entry))
}

// Update runs fn under the mutex; it never retries.
func (m *Memory) Update(ctx context.Context, key string, fn UpdateFunc) (int, error) {
	if err := m.lock(ctx); err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	r, ok := m.records[key]
	var cur *Record
	if ok {
		cur = r.export()
	}
	typ, snap, err := fn(cur)
	if err != nil || snap == nil {
		return 0, err
	}
	m.records[key] = &memRecord{typ: typ, snapshot: slices.Clone(snap)}
	return 0, nil
}

// List returns the keys starting with prefix, sorted.
func (m *Memory) List(ctx context.Context, prefix string) ([]string, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	keys := []string{}
	for k := range m.records {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Delete removes key's record.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	delete(m.records, key)
	return nil
}

// Put stores data under key as a snapshot with an empty log and no type, as
// a record in the format from before the log, bypassing merge-writes. Tests
// use it to plant records, valid or not.
func (m *Memory) Put(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.records == nil {
		return
	}
	m.records[key] = &memRecord{snapshot: slices.Clone(data)}
}

// Close makes later calls fail with [ErrClosed] and drops the records.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.records = nil
	return nil
}
