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

// Backend is a [store.Backend] over a PostgreSQL table.
type Backend struct {
	pool       *pgxpool.Pool
	ownsPool   bool
	table      string // quoted
	maxRetries int
	noJSONB    bool

	mu       sync.Mutex
	migrated bool

	qLoad, qLock, qUpdate, qInsert, qList, qDelete, qPut string
}

var _ store.Backend = (*Backend)(nil)

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

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
	return &Backend{
		pool:       pool,
		table:      t,
		maxRetries: o.MaxRetries,
		noJSONB:    o.NoJSONB,
		qLoad:      `SELECT data FROM ` + t + ` WHERE key = $1`,
		qLock:      `SELECT data FROM ` + t + ` WHERE key = $1 FOR UPDATE`,
		qUpdate:    `UPDATE ` + t + ` SET data = $2, payload = $3::jsonb, type = $4, version = version + 1 WHERE key = $1`,
		qInsert:    `INSERT INTO ` + t + ` (key, type, data, payload, version) VALUES ($1, $4, $2, $3::jsonb, 1) ON CONFLICT (key) DO NOTHING`,
		qList:      `SELECT key FROM ` + t + ` WHERE key >= $1 AND starts_with(key, $1) ORDER BY key`,
		qDelete:    `DELETE FROM ` + t + ` WHERE key = $1`,
		qPut: `INSERT INTO ` + t + ` (key, type, data, payload, version) VALUES ($1, $4, $2, $3::jsonb, 1)
			ON CONFLICT (key) DO UPDATE SET data = excluded.data, payload = excluded.payload, type = excluded.type, version = ` + t + `.version + 1`,
	}, nil
}

// Table returns the table's name, quoted for SQL.
func (b *Backend) Table() string { return b.table }

// Pool returns the connection pool.
func (b *Backend) Pool() *pgxpool.Pool { return b.pool }

// Migrate creates the table if it does not exist. It is safe to run from
// several processes at once (it takes a transaction-scoped advisory lock).
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
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+b.table+` (
			key     text COLLATE "C" PRIMARY KEY,
			type    text NOT NULL,
			data    bytea NOT NULL,
			payload jsonb,
			version bigint NOT NULL
		)`)
		return err
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

// Load selects key's data.
func (b *Backend) Load(ctx context.Context, key string) ([]byte, error) {
	if err := b.ready(ctx); err != nil {
		return nil, err
	}
	var data []byte
	err := b.pool.QueryRow(ctx, b.qLoad, key).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
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
		var old []byte
		err := tx.QueryRow(ctx, b.qLock, key).Scan(&old)
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if exists && old == nil {
			old = []byte{}
		}
		updated, err := fn(old, exists)
		if err != nil {
			return fnError{err}
		}
		if updated == nil {
			return nil
		}
		typ, doc := b.columns(updated)
		if exists {
			_, err = tx.Exec(ctx, b.qUpdate, key, updated, doc, typ)
			return err
		}
		tag, err := tx.Exec(ctx, b.qInsert, key, updated, doc, typ)
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

// Delete deletes key's row.
func (b *Backend) Delete(ctx context.Context, key string) error {
	if err := b.ready(ctx); err != nil {
		return err
	}
	if _, err := b.pool.Exec(ctx, b.qDelete, key); err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// Put stores data under key as is, bypassing merge-writes (for tests and
// repairs).
func (b *Backend) Put(ctx context.Context, key string, data []byte) error {
	if err := b.ready(ctx); err != nil {
		return err
	}
	typ, doc := b.columns(data)
	if _, err := b.pool.Exec(ctx, b.qPut, key, data, doc, typ); err != nil {
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
