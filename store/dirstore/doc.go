// Package dirstore is a [store.Backend] keeping one JSON file per key in a
// directory: human-readable, shareable by several processes, crash-safe.
//
// Layout of the directory:
//
//	<name>.json          the record of the key whose escaped name is <name>
//	.tmp~<name>          the record being written (left over if a writer died)
//	.locks/<name>.lock   the key's lock file (empty; kept after a Delete)
//
// Names come from [EscapeKey], a reversible escaping, so listing reads keys
// back from the file names.
//
// A merge-write takes an exclusive flock(2) on the key's lock file, reads the
// record, writes the new one to the temporary file, fsyncs it, renames it over
// the record and fsyncs the directory, then releases the lock. Readers take no
// lock: rename is atomic, so they see the old record or the new one, never a
// mix. The lock serialises every writer of the key, in any process on the
// machine, so merge-writes are never retried. After a crash the record is the
// last one renamed into place; a writer killed at any point leaves either the
// old or the new record, and the kernel releases its lock. flock is advisory
// and local: processes that share the directory over NFS or write files
// behind the store's back are not serialised.
package dirstore
