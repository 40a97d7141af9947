// Package boltstore is the embedded default [store.Backend]: one bbolt file
// (go.etcd.io/bbolt) holding every record in one bucket.
//
// Every merge-write is one bbolt read-write transaction, and bbolt runs one
// such transaction at a time per file, so merge-writes never conflict and are
// never retried. A committed transaction has been fsynced: after a crash
// (process or machine) the file holds exactly the merge-writes that returned
// before it, and none half-done.
//
// bbolt takes an exclusive lock on the file: only one process can open it at a
// time. A second [Open] waits at most [Options.Timeout] and then fails with an
// error wrapping [ErrLocked]. Share one Backend between the goroutines of a
// process; use the directory, PostgreSQL or Redis store for several processes.
package boltstore
