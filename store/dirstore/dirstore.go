package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/crdtkit/crdtkit/store"
)

const (
	recordSuffix = ".json"
	lockDir      = ".locks"
	tmpPrefix    = ".tmp~"
)

// Options configure [Open]. The zero value is fine.
type Options struct {
	// FileMode is the permission of record files (default 0600).
	FileMode os.FileMode
	// DirMode is the permission of directories Open creates (default
	// 0700).
	DirMode os.FileMode
}

// Backend is a [store.Backend] over a directory.
type Backend struct {
	root     string
	dir      *os.File // the root, kept open to fsync it
	fileMode os.FileMode
	closed   atomic.Bool
}

var _ store.Backend = (*Backend)(nil)

// Open opens the directory at path, creating it if needed. opts may be nil.
func Open(path string, opts *Options) (*Backend, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.FileMode == 0 {
		o.FileMode = 0o600
	}
	if o.DirMode == 0 {
		o.DirMode = 0o700
	}
	if err := os.MkdirAll(filepath.Join(path, lockDir), o.DirMode); err != nil {
		return nil, fmt.Errorf("dirstore: %w", err)
	}
	dir, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dirstore: %w", err)
	}
	return &Backend{root: path, dir: dir, fileMode: o.FileMode}, nil
}

// Dir returns the directory.
func (b *Backend) Dir() string { return b.root }

// Path returns the file that holds key's record.
func (b *Backend) Path(key string) string {
	return filepath.Join(b.root, EscapeKey(key)+recordSuffix)
}

func (b *Backend) name(key string) (string, error) {
	if b.closed.Load() {
		return "", store.ErrClosed
	}
	n := EscapeKey(key)
	if len(n) > MaxNameLen {
		return "", fmt.Errorf("%w: escaped file name is %d bytes, dirstore limit %d", store.ErrInvalidKey, len(n), MaxNameLen)
	}
	return n, nil
}

// Load reads key's file.
func (b *Backend) Load(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := b.name(key)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(b.root, n+recordSuffix))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("dirstore: %w", err)
	}
	return data, nil
}

// lock takes the exclusive flock of n's lock file. If the lock is busy it
// waits until it is free or ctx is done.
func (b *Backend) lock(ctx context.Context, n string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(b.root, lockDir, n+".lock"), os.O_CREATE|os.O_RDWR, b.fileMode)
	if err != nil {
		return nil, fmt.Errorf("dirstore: lock: %w", err)
	}
	fd := int(f.Fd())
	release := func() {
		unix.Flock(fd, unix.LOCK_UN)
		f.Close()
	}
	err = flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if err == nil {
		return release, nil
	}
	if !errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("dirstore: lock: %w", err)
	}
	// Busy: wait in a goroutine, since flock cannot be interrupted.
	done := make(chan error, 1)
	go func() { done <- flock(fd, unix.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("dirstore: lock: %w", err)
		}
		return release, nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				release()
			} else {
				f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Update runs fn under the key's file lock and replaces the record
// atomically; it never retries.
func (b *Backend) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	n, err := b.name(key)
	if err != nil {
		return 0, err
	}
	unlock, err := b.lock(ctx, n)
	if err != nil {
		return 0, err
	}
	defer unlock()
	path := filepath.Join(b.root, n+recordSuffix)
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("dirstore: %w", err)
	}
	updated, err := fn(old, exists)
	if err != nil || updated == nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 0, b.replace(n, path, updated)
}

// replace writes data to the key's temporary file, fsyncs it, renames it
// over path and fsyncs the directory. The caller holds the key's lock, so
// the temporary file is its own (a leftover of a dead writer is truncated).
func (b *Backend) replace(n, path string, data []byte) error {
	tmp := filepath.Join(b.root, tmpPrefix+n)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, b.fileMode)
	if err != nil {
		return fmt.Errorf("dirstore: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("dirstore: writing %s: %w", path, err)
	}
	if err := b.dir.Sync(); err != nil {
		return fmt.Errorf("dirstore: syncing %s: %w", b.root, err)
	}
	return nil
}

// List reads the directory and unescapes the names of record files. Files
// whose names are not escaped keys are ignored.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, store.ErrClosed
	}
	entries, err := os.ReadDir(b.root)
	if err != nil {
		return nil, fmt.Errorf("dirstore: %w", err)
	}
	keys := []string{}
	for _, e := range entries {
		stem, ok := strings.CutSuffix(e.Name(), recordSuffix)
		if !ok || e.IsDir() {
			continue
		}
		key, err := UnescapeKey(stem)
		if err != nil || !strings.HasPrefix(key, prefix) {
			continue
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys, nil
}

// Delete removes key's file under the key's lock. The lock file stays.
func (b *Backend) Delete(ctx context.Context, key string) error {
	n, err := b.name(key)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx, n)
	if err != nil {
		return err
	}
	defer unlock()
	err = os.Remove(filepath.Join(b.root, n+recordSuffix))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dirstore: %w", err)
	}
	if err := b.dir.Sync(); err != nil {
		return fmt.Errorf("dirstore: syncing %s: %w", b.root, err)
	}
	return nil
}

// Close releases the directory handle.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return b.dir.Close()
}
