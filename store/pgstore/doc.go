// Package pgstore is a [store.Backend] over a PostgreSQL table, through
// github.com/jackc/pgx/v5. Any number of processes may share it.
//
// The table (default name [DefaultTable]) is created by [Backend.Migrate],
// which also runs on first use:
//
//	key     text COLLATE "C" PRIMARY KEY  -- byte order, for List
//	type    text NOT NULL                 -- the envelope's type name ('' if unreadable)
//	data    bytea NOT NULL                -- the exact payload bytes: the record
//	payload jsonb                         -- a copy for queries; NULL if not JSON
//	version bigint NOT NULL               -- 1 on insert, +1 on each write
//
// jsonb does not keep bytes, key order or duplicate keys, so the record that
// reads return is data, byte for byte; payload is derived from it in the same
// statement and is there for SQL queries only (it is NULL for a record that
// is not JSON or whose strings hold \u0000, which jsonb rejects, and always
// with [Options.NoJSONB]). Edit data, not payload, to repair a record by hand.
//
// A merge-write is one READ COMMITTED transaction that reads the row with
// SELECT ... FOR UPDATE, so concurrent writers of a key wait for each other
// and are not retried. A key's first write inserts with ON CONFLICT DO
// NOTHING; if another writer inserted the key in the meantime, the
// transaction is rolled back and rerun (counted as a retry) and then finds the
// row to lock. What survives a crash is what PostgreSQL committed: every
// merge-write that returned, under the server's default synchronous_commit.
package pgstore
