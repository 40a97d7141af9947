package dirstore

import (
	"context"
	"encoding/binary"
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
	logSuffix    = ".log"
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
	dropped  atomic.Uint64
	repairs  atomic.Uint64
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

// lock takes the flock of n's lock file, exclusive (how = unix.LOCK_EX)
// or shared (unix.LOCK_SH). If the lock is busy it waits until it is free or
// ctx is done.
func (b *Backend) lock(ctx context.Context, n string, how int) (unlock func(), err error) {
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
	err = flock(fd, how|unix.LOCK_NB)
	if err == nil {
		return release, nil
	}
	if !errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("dirstore: lock: %w", err)
	}
	// Busy: wait in a goroutine, since flock cannot be interrupted.
	done := make(chan error, 1)
	go func() { done <- flock(fd, how) }()
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

// replace writes data to the temporary file tmpName, fsyncs it, renames it
// over path and fsyncs the directory. The caller holds the key's lock, so
// the temporary file is its own (a leftover of a dead writer is truncated).
func (b *Backend) replace(tmpName, path string, data []byte) error {
	tmp := filepath.Join(b.root, tmpName)
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

// files names the files of one key.
type files struct {
	n        string // escaped name
	snap     string // path of the snapshot
	log      string // path of the log
	snapTmp  string // name of the snapshot's temporary file
	logTmp   string // name of the log's temporary file
	keyLabel string // the key, for errors
}

func (b *Backend) files(key string) (files, error) {
	n, err := b.name(key)
	if err != nil {
		return files{}, err
	}
	return files{
		n:        n,
		snap:     filepath.Join(b.root, n+recordSuffix),
		log:      filepath.Join(b.root, n+logSuffix),
		snapTmp:  tmpPrefix + n,
		logTmp:   tmpPrefix + n + logSuffix,
		keyLabel: key,
	}, nil
}

// LogPath returns the file that holds key's log.
func (b *Backend) LogPath(key string) string {
	return filepath.Join(b.root, EscapeKey(key)+logSuffix)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func readOptional(path string) ([]byte, bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dirstore: %w", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, true, nil
}

// read returns key's record; the caller holds the key's lock.
func (b *Backend) read(f files) (*store.Record, error) {
	snap, hasSnap, err := readOptional(f.snap)
	if err != nil {
		return nil, err
	}
	raw, hasLog, err := readOptional(f.log)
	if err != nil {
		return nil, err
	}
	if !hasSnap && !hasLog {
		return nil, store.ErrNotFound
	}
	rec := &store.Record{Snapshot: snap}
	if !hasLog {
		return rec, nil
	}
	l, err := parseLog(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: dirstore: %s: %w", store.ErrCorrupt, f.log, err)
	}
	if l.header.matches(snap, hasSnap) {
		rec.Type = l.header.typ
	}
	rec.Log = l.entries
	rec.Dropped = l.dropped
	b.dropped.Add(uint64(l.dropped))
	return rec, nil
}

// matches reports whether the log was started beside this snapshot. A
// snapshot of another size was replaced behind the store's back (by hand, or
// a crash between the two renames of a compaction): the record must be
// checked again.
func (h logHeader) matches(snap []byte, hasSnap bool) bool {
	if !hasSnap {
		return h.snapshot == noSnapshot
	}
	return h.snapshot == uint64(len(snap))
}

// Load reads key's snapshot and log under a shared lock, so that it sees
// no append or compaction half-done.
func (b *Backend) Load(ctx context.Context, key string) (*store.Record, error) {
	f, err := b.files(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A key with no files needs no lock (nor a lock file made for it).
	if !exists(f.snap) && !exists(f.log) {
		return nil, store.ErrNotFound
	}
	unlock, err := b.lock(ctx, f.n, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return b.read(f)
}

// Append writes entry as one frame at the end of key's log and fdatasyncs
// it, under the key's exclusive lock. It checks only the last frame: a torn
// one, as a writer killed during an append leaves it, is cut off first (and
// counted). A new log is written to a temporary file and renamed into place,
// so that it never exists without its header.
func (b *Backend) Append(ctx context.Context, key, typ string, entry []byte) (store.Sizes, error) {
	f, err := b.files(key)
	if err != nil {
		return store.Sizes{}, err
	}
	unlock, err := b.lock(ctx, f.n, unix.LOCK_EX)
	if err != nil {
		return store.Sizes{}, err
	}
	defer unlock()
	var snapSize int64 = -1
	if fi, err := os.Stat(f.snap); err == nil {
		snapSize = fi.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return store.Sizes{}, fmt.Errorf("dirstore: %w", err)
	}
	lf, err := os.OpenFile(f.log, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if snapSize >= 0 {
			return store.Sizes{}, store.ErrUnchecked
		}
		data := appendFrame(encodeLogHeader(logHeader{snapshot: noSnapshot, typ: typ}), entry)
		if err := b.replace(f.logTmp, f.log, data); err != nil {
			return store.Sizes{}, err
		}
		return store.Sizes{Log: int64(len(entry) + frameExtra)}, nil
	}
	if err != nil {
		return store.Sizes{}, fmt.Errorf("dirstore: %w", err)
	}
	defer lf.Close()
	h, start, err := readLogHeader(lf)
	if err != nil {
		return store.Sizes{}, fmt.Errorf("%w: dirstore: %s: %w", store.ErrCorrupt, f.log, err)
	}
	switch {
	case snapSize < 0 && h.snapshot != noSnapshot, snapSize >= 0 && h.snapshot != uint64(snapSize):
		return store.Sizes{}, store.ErrUnchecked
	case h.typ != typ:
		return store.Sizes{}, store.TypeMismatch(h.typ, typ)
	}
	fi, err := lf.Stat()
	if err != nil {
		return store.Sizes{}, fmt.Errorf("dirstore: %w", err)
	}
	end := fi.Size()
	ok, err := tailOK(lf, int64(start), end)
	if err != nil {
		return store.Sizes{}, fmt.Errorf("dirstore: %s: %w", f.log, err)
	}
	if !ok {
		if end, err = b.repair(lf, f, end); err != nil {
			return store.Sizes{}, err
		}
	}
	frame := appendFrame(nil, entry)
	if _, err := lf.WriteAt(frame, end); err != nil {
		return store.Sizes{}, fmt.Errorf("dirstore: appending to %s: %w", f.log, err)
	}
	if err := unix.Fdatasync(int(lf.Fd())); err != nil {
		return store.Sizes{}, fmt.Errorf("dirstore: syncing %s: %w", f.log, err)
	}
	return store.Sizes{Snapshot: max(snapSize, 0), Log: end + int64(len(frame)) - int64(start)}, nil
}

// readLogHeader reads the magic and header frame at the start of a log
// file; start is the offset of the first entry.
func readLogHeader(lf *os.File) (logHeader, int, error) {
	buf := make([]byte, 4096)
	n, err := lf.ReadAt(buf, 0)
	if err != nil && n == 0 {
		return logHeader{}, 0, err
	}
	buf = buf[:n]
	if len(buf) >= len(logMagic)+4 {
		need := len(logMagic) + frameExtra + int(binary.BigEndian.Uint32(buf[len(logMagic):]))
		if need > len(buf) && need <= maxHeader {
			buf = make([]byte, need)
			if _, err := lf.ReadAt(buf, 0); err != nil {
				return logHeader{}, 0, err
			}
		}
	}
	l, err := parseLog(headerOnly(buf))
	if err != nil {
		return logHeader{}, 0, err
	}
	return l.header, l.start, nil
}

// maxHeader bounds a log header: magic, frame, snapshot size and a type name.
const maxHeader = len(logMagic) + frameExtra + 8 + 64<<10

// headerOnly cuts buf after the header frame, if its length is readable, so
// that parseLog looks at no entry.
func headerOnly(buf []byte) []byte {
	if len(buf) < len(logMagic)+4 {
		return buf
	}
	need := len(logMagic) + frameExtra + int(binary.BigEndian.Uint32(buf[len(logMagic):]))
	if need < len(buf) {
		return buf[:need]
	}
	return buf
}

// tailOK reports whether the log ends with a good frame (or with its
// header), reading only the last frame.
func tailOK(lf *os.File, start, end int64) (bool, error) {
	if end == start {
		return true, nil
	}
	if end-start < frameExtra {
		return false, nil
	}
	var t [4]byte
	if _, err := lf.ReadAt(t[:], end-4); err != nil {
		return false, err
	}
	off := end - int64(binary.BigEndian.Uint32(t[:])) - frameExtra
	if off < start {
		return false, nil
	}
	buf := make([]byte, end-off)
	if _, err := lf.ReadAt(buf, off); err != nil {
		return false, err
	}
	_, size, _, err := readFrame(buf)
	return err == nil && int64(size) == end-off, nil
}

// repair reads the whole log, cuts off a torn final frame and fsyncs; it
// returns the new end. A bad frame with more data after it is not cut: that
// is an error wrapping store.ErrCorrupt.
func (b *Backend) repair(lf *os.File, f files, size int64) (int64, error) {
	raw := make([]byte, size)
	if _, err := lf.ReadAt(raw, 0); err != nil {
		return 0, fmt.Errorf("dirstore: %w", err)
	}
	l, err := parseLog(raw)
	if err != nil {
		return 0, fmt.Errorf("%w: dirstore: %s: %w", store.ErrCorrupt, f.log, err)
	}
	if err := lf.Truncate(int64(l.end)); err != nil {
		return 0, fmt.Errorf("dirstore: cutting the torn end of %s: %w", f.log, err)
	}
	if err := lf.Sync(); err != nil {
		return 0, fmt.Errorf("dirstore: syncing %s: %w", f.log, err)
	}
	b.dropped.Add(uint64(l.dropped))
	b.repairs.Add(1)
	return int64(l.end), nil
}

// Update runs fn under the key's exclusive lock; it never retries. The new
// snapshot is written to a temporary file, fsynced and renamed over the old
// one, the directory fsynced; then a new log holding only its header is
// renamed over the old log the same way. A crash between the two renames
// leaves the new snapshot beside the old log, whose entries the snapshot
// already contains: merging them again changes nothing (merges are
// idempotent), and the log's header no longer matching the snapshot makes
// the next merge-write check and rewrite the record.
func (b *Backend) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	f, err := b.files(key)
	if err != nil {
		return 0, err
	}
	unlock, err := b.lock(ctx, f.n, unix.LOCK_EX)
	if err != nil {
		return 0, err
	}
	defer unlock()
	cur, err := b.read(f)
	if errors.Is(err, store.ErrNotFound) {
		cur, err = nil, nil
	}
	if err != nil {
		return 0, err
	}
	typ, snap, err := fn(cur)
	if err != nil || snap == nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := b.replace(f.snapTmp, f.snap, snap); err != nil {
		return 0, err
	}
	if typ == "" {
		return 0, b.removeLog(f)
	}
	return 0, b.replace(f.logTmp, f.log, encodeLogHeader(logHeader{snapshot: uint64(len(snap)), typ: typ}))
}

func (b *Backend) removeLog(f files) error {
	err := os.Remove(f.log)
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

// Stats counts what a Backend found wrong in logs since it was opened.
type Stats struct {
	// DroppedEntries counts torn final frames skipped by reads or cut off
	// by appends.
	DroppedEntries uint64
	// Repairs counts appends that found a torn end and cut it off.
	Repairs uint64
}

// Stats returns the backend's counters.
func (b *Backend) Stats() Stats {
	return Stats{DroppedEntries: b.dropped.Load(), Repairs: b.repairs.Load()}
}

// List reads the directory and unescapes the names of snapshot and log
// files. Files whose names are not escaped keys are ignored.
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
		if e.IsDir() {
			continue
		}
		stem, ok := strings.CutSuffix(e.Name(), recordSuffix)
		if !ok {
			if stem, ok = strings.CutSuffix(e.Name(), logSuffix); !ok {
				continue
			}
		}
		key, err := UnescapeKey(stem)
		if err != nil || !strings.HasPrefix(key, prefix) {
			continue
		}
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// Delete removes key's snapshot and log under the key's lock. The lock file
// stays.
func (b *Backend) Delete(ctx context.Context, key string) error {
	f, err := b.files(key)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx, f.n, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	return b.remove(f)
}

func (b *Backend) remove(f files) error {
	removed := false
	for _, p := range []string{f.log, f.snap} {
		err := os.Remove(p)
		if err == nil {
			removed = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("dirstore: %w", err)
		}
	}
	if removed {
		if err := b.dir.Sync(); err != nil {
			return fmt.Errorf("dirstore: syncing %s: %w", b.root, err)
		}
	}
	return nil
}

// Put stores data as key's snapshot with no log, as a record in the format
// from before the log, bypassing merge-writes (for tests and repairs).
func (b *Backend) Put(ctx context.Context, key string, data []byte) error {
	f, err := b.files(key)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx, f.n, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	if err := b.removeLog(f); err != nil {
		return err
	}
	return b.replace(f.snapTmp, f.snap, data)
}

// Close releases the directory handle.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return b.dir.Close()
}
