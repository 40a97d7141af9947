package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"

	json "github.com/goccy/go-json"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/crdtkit/crdtkit/store"
)

// DefaultTable is the table name used when [Options.Table] is empty.
const DefaultTable = "crdtkit_records"

// DefaultMaxRetries bounds the reruns of a merge-write that lost the race
// to insert a new key.
const DefaultMaxRetries = 10

// Options configure a [Backend]. The zero value is fine.
type Options struct {
	// Table is the table's name: lower-case letters, digits and '_',
	// starting with a letter or '_', at most 63 bytes (default
	// [DefaultTable]).
	Table string
	// MaxRetries bounds reruns after losing an insert race (default
	// [DefaultMaxRetries]).
	MaxRetries int
	// NoJSONB leaves the payload column NULL instead of mirroring the
	// record into it. Parsing every record into jsonb costs the server
	// about as much as the rest of a merge-write of a large state; skip it
	// when nothing queries the column.
	NoJSONB bool
}

// Backend is a [store.Backend] over a PostgreSQL table of snapshots and a
// table of log entries beside it.
type Backend struct {
	pool       *pgxpool.Pool
	ownsPool   bool
	table      string // quoted
	logTable   string // quoted
	logIndex   string // quoted
	maxRetries int
	noJSONB    bool

	mu       sync.Mutex
	migrated bool

	qLoad, qLock, qLockLog, qUpdate, qInsert, qDeleteLog, qAppend, qHead, qCreate, qList, qDelete, qPut string
}

var _ store.Backend = (*Backend)(nil)

// LogSuffix is appended to the table's name to name the table of log
// entries.
const LogSuffix = "_log"

// The table's name, with LogSuffix and "_key" after it, must fit
// PostgreSQL's 63 bytes.
var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,54}$`)

// Open connects a pool to the server at url (a libpq URL or key=value
// string, see pgxpool.ParseConfig) and returns a Backend that owns it. It
// checks the connection and creates the table if needed. opts may be nil.
func Open(ctx context.Context, url string, opts *Options) (*Backend, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	b, err := New(pool, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	b.ownsPool = true
	if err := b.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

// New returns a Backend using pool, which the caller keeps and closes. The
// table is created on first use. opts may be nil.
func New(pool *pgxpool.Pool, opts *Options) (*Backend, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if !tableName.MatchString(o.Table) {
		return nil, fmt.Errorf("pgstore: invalid table name %q", o.Table)
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	t := pgx.Identifier{o.Table}.Sanitize()
	lt := pgx.Identifier{o.Table + LogSuffix}.Sanitize()
	return &Backend{
		pool:       pool,
		table:      t,
		logTable:   lt,
		logIndex:   pgx.Identifier{o.Table + LogSuffix + "_key"}.Sanitize(),
		maxRetries: o.MaxRetries,
		noJSONB:    o.NoJSONB,
		// One statement, so one consistent view of the snapshot and
		// the entries.
		qLoad: `SELECT coalesce(log_type, ''), data IS NOT NULL, data,
			ARRAY(SELECT l.data FROM ` + lt + ` l WHERE l.key = $1 ORDER BY l.seq)
			FROM ` + t + ` WHERE key = $1`,
		qLock:      `SELECT coalesce(log_type, ''), data IS NOT NULL, data FROM ` + t + ` WHERE key = $1 FOR UPDATE`,
		qLockLog:   `SELECT ARRAY(SELECT data FROM ` + lt + ` WHERE key = $1 ORDER BY seq)`,
		qUpdate:    `UPDATE ` + t + ` SET data = $2, payload = $3::jsonb, type = $4, log_type = $5, log_bytes = 0, version = version + 1 WHERE key = $1`,
		qInsert:    `INSERT INTO ` + t + ` (key, type, data, payload, version, log_type, log_bytes) VALUES ($1, $4, $2, $3::jsonb, 1, $5, 0) ON CONFLICT (key) DO NOTHING`,
		qDeleteLog: `DELETE FROM ` + lt + ` WHERE key = $1`,
		// The head row's update both checks the type and serialises the
		// key's appends against compactions and deletes (which lock the
		// row); the entry is inserted only if the check passed.
		qAppend: `WITH h AS (
				UPDATE ` + t + ` SET log_bytes = log_bytes + length($3::bytea)
				WHERE key = $1 AND log_type = $2
				RETURNING coalesce(length(data), 0) AS snap, log_bytes
			), i AS (
				INSERT INTO ` + lt + ` (key, data) SELECT $1, $3::bytea FROM h
			)
			SELECT snap, log_bytes FROM h`,
		qHead:   `SELECT coalesce(log_type, '') FROM ` + t + ` WHERE key = $1`,
		qCreate: `INSERT INTO ` + t + ` (key, type, data, payload, version, log_type, log_bytes) VALUES ($1, $2, NULL, NULL, 1, $2, 0) ON CONFLICT (key) DO NOTHING`,
		qList:   `SELECT key FROM ` + t + ` WHERE key >= $1 AND starts_with(key, $1) ORDER BY key`,
		qDelete: `DELETE FROM ` + t + ` WHERE key = $1`,
		qPut: `INSERT INTO ` + t + ` (key, type, data, payload, version, log_type, log_bytes) VALUES ($1, $4, $2, $3::jsonb, 1, NULL, 0)
			ON CONFLICT (key) DO UPDATE SET data = excluded.data, payload = excluded.payload, type = excluded.type,
			log_type = NULL, log_bytes = 0, version = ` + t + `.version + 1`,
	}, nil
}

// Table returns the table's name, quoted for SQL.
func (b *Backend) Table() string { return b.table }

// LogTable returns the name of the table of log entries, quoted for SQL.
func (b *Backend) LogTable() string { return b.logTable }

// Pool returns the connection pool.
func (b *Backend) Pool() *pgxpool.Pool { return b.pool }

// Migrate creates the tables if they do not exist, and adds to a table made
// before the log its two columns (log_type, log_bytes) and the log table. It
// is safe to run from several processes at once (it takes a
// transaction-scoped advisory lock).
func (b *Backend) Migrate(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.migrated {
		return nil
	}
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('crdtkit.pgstore.migrate'))`); err != nil {
			return err
		}
		for _, q := range []string{
			`CREATE TABLE IF NOT EXISTS ` + b.table + ` (
				key       text COLLATE "C" PRIMARY KEY,
				type      text NOT NULL,
				data      bytea,
				payload   jsonb,
				version   bigint NOT NULL,
				log_type  text,
				log_bytes bigint NOT NULL DEFAULT 0
			)`,
			// A table from before the log.
			`ALTER TABLE ` + b.table + ` ADD COLUMN IF NOT EXISTS log_type text`,
			`ALTER TABLE ` + b.table + ` ADD COLUMN IF NOT EXISTS log_bytes bigint NOT NULL DEFAULT 0`,
			`ALTER TABLE ` + b.table + ` ALTER COLUMN data DROP NOT NULL`,
			`CREATE TABLE IF NOT EXISTS ` + b.logTable + ` (
				seq  bigserial PRIMARY KEY,
				key  text COLLATE "C" NOT NULL,
				data bytea NOT NULL
			)`,
			`CREATE INDEX IF NOT EXISTS ` + b.logIndex + ` ON ` + b.logTable + ` (key, seq)`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: creating table %s: %w", b.table, err)
	}
	b.migrated = true
	return nil
}

func (b *Backend) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return b.Migrate(ctx)
}

// columns derives the type and payload columns from a record.
func (b *Backend) columns(data []byte) (typ string, doc any) {
	if !json.Valid(data) {
		return "", nil
	}
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(data, &env) == nil {
		typ = env.Type
	}
	if b.noJSONB || bytes.Contains(data, []byte(`\u0000`)) {
		return typ, nil
	}
	return typ, string(data)
}

// Load selects key's snapshot and entries in one statement.
func (b *Backend) Load(ctx context.Context, key string) (*store.Record, error) {
	if err := b.ready(ctx); err != nil {
		return nil, err
	}
	rec := &store.Record{}
	var hasSnap bool
	err := b.pool.QueryRow(ctx, b.qLoad, key).Scan(&rec.Type, &hasSnap, &rec.Snapshot, &rec.Log)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	fixRecord(rec, hasSnap)
	return rec, nil
}

// fixRecord tells a NULL snapshot (none) from an empty one.
func fixRecord(rec *store.Record, hasSnap bool) {
	switch {
	case !hasSnap:
		rec.Snapshot = nil
	case rec.Snapshot == nil:
		rec.Snapshot = []byte{}
	}
	if len(rec.Log) == 0 {
		rec.Log = nil
	}
}

// Append inserts a log row in the statement that checks and updates the
// key's head row; see the package documentation.
func (b *Backend) Append(ctx context.Context, key, typ string, entry []byte) (store.Sizes, error) {
	if err := b.ready(ctx); err != nil {
		return store.Sizes{}, err
	}
	for range b.maxRetries + 1 {
		var z store.Sizes
		err := b.pool.QueryRow(ctx, b.qAppend, key, typ, entry).Scan(&z.Snapshot, &z.Log)
		if err == nil {
			return z, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.Sizes{}, fmt.Errorf("pgstore: %w", err)
		}
		// No head row of this type: find out why.
		var stored string
		err = b.pool.QueryRow(ctx, b.qHead, key).Scan(&stored)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := b.pool.Exec(ctx, b.qCreate, key, typ); err != nil {
				return store.Sizes{}, fmt.Errorf("pgstore: %w", err)
			}
			continue
		case err != nil:
			return store.Sizes{}, fmt.Errorf("pgstore: %w", err)
		case stored == "":
			return store.Sizes{}, store.ErrUnchecked
		case stored != typ:
			return store.Sizes{}, store.TypeMismatch(stored, typ)
		}
		// The row changed between the two statements: try again.
	}
	return store.Sizes{}, fmt.Errorf("%w: the record of %q kept changing under an append", store.ErrContention, key)
}

// Update runs fn in a transaction holding the row lock of key; see the
// package documentation.
func (b *Backend) Update(ctx context.Context, key string, fn store.UpdateFunc) (int, error) {
	if err := b.ready(ctx); err != nil {
		return 0, err
	}
	for retries := 0; ; retries++ {
		again, err := b.update(ctx, key, fn)
		if err != nil || !again {
			return retries, err
		}
		if retries >= b.maxRetries {
			return retries, fmt.Errorf("%w: %d retries inserting a new key", store.ErrContention, retries)
		}
	}
}

type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// update makes one attempt; again reports a lost insert race.
func (b *Backend) update(ctx context.Context, key string, fn store.UpdateFunc) (again bool, err error) {
	err = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		cur := &store.Record{}
		var hasSnap bool
		err := tx.QueryRow(ctx, b.qLock, key).Scan(&cur.Type, &hasSnap, &cur.Snapshot)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if exists {
			// The row lock keeps appends out until the commit.
			if err := tx.QueryRow(ctx, b.qLockLog, key).Scan(&cur.Log); err != nil {
				return err
			}
			fixRecord(cur, hasSnap)
		} else {
			cur = nil
		}
		typ, snap, err := fn(cur)
		if err != nil {
			return fnError{err}
		}
		if snap == nil {
			return nil
		}
		ctyp, doc := b.columns(snap)
		var logType any
		if typ != "" {
			logType, ctyp = typ, typ
		}
		if exists {
			if _, err := tx.Exec(ctx, b.qUpdate, key, snap, doc, ctyp, logType); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, b.qDeleteLog, key)
			return err
		}
		tag, err := tx.Exec(ctx, b.qInsert, key, snap, doc, ctyp, logType)
		if err == nil && tag.RowsAffected() == 0 {
			again = true
			return errRetry
		}
		return err
	})
	var fe fnError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &fe):
		return false, fe.err
	case errors.Is(err, errRetry):
		return true, nil
	}
	return false, fmt.Errorf("pgstore: %w", err)
}

var errRetry = errors.New("pgstore: lost an insert race")

// List selects the keys with prefix in byte order.
func (b *Backend) List(ctx context.Context, prefix string) ([]string, error) {
	if err := b.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := b.pool.Query(ctx, b.qList, prefix)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}

// Delete deletes key's head row and log rows in one transaction.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := b.ready(ctx); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, b.qDelete, key); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, b.qDeleteLog, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// Put stores data as key's snapshot with no log and no log type, as a record
// from before the log, bypassing merge-writes (for tests and repairs).
func (b *Backend) Put(ctx context.Context, key string, data []byte) error {
	if err := b.ready(ctx); err != nil {
		return err
	}
	typ, doc := b.columns(data)
	err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, b.qPut, key, data, doc, typ); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, b.qDeleteLog, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// Close closes the pool if [Open] made it.
func (b *Backend) Close() error {
	if b.ownsPool {
		b.pool.Close()
	}
	return nil
}
