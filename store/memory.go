package store

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// Memory is an in-memory [Backend] for tests and examples: a map guarded by a
// mutex, holding copies of the records. Nothing survives the process. The zero
// value is not ready; use [NewMemory].
type Memory struct {
	mu      sync.Mutex
	records map[string][]byte
	closed  bool
}

var _ Backend = (*Memory)(nil)

// NewMemory returns an empty in-memory backend.
func NewMemory() *Memory {
	return &Memory{records: make(map[string][]byte)}
}

// Load returns a copy of key's record.
func (m *Memory) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	v, ok := m.records[key]
	if !ok {
		return nil, ErrNotFound
	}
	return slices.Clone(v), nil
}

// Update runs fn under the backend's lock; it never retries.
func (m *Memory) Update(ctx context.Context, key string, fn UpdateFunc) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	old, exists := m.records[key]
	updated, err := fn(old, exists)
	if err != nil {
		return 0, err
	}
	if updated != nil {
		m.records[key] = slices.Clone(updated)
	}
	return 0, nil
}

// List returns the keys starting with prefix, sorted.
func (m *Memory) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
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
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	delete(m.records, key)
	return nil
}

// Put stores data under key as is, bypassing merge-writes. Tests use it to
// plant records, valid or not.
func (m *Memory) Put(key string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[key] = slices.Clone(data)
}

// Close makes later calls fail with [ErrClosed] and drops the records.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.records = nil
	return nil
}
