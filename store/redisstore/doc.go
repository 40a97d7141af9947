// Package redisstore is a [store.Backend] over Redis, through
// github.com/redis/go-redis/v9. Any number of processes may share it.
//
// Records are plain string values (Debian's Redis 7 has no JSON module, and
// none is needed) under the key [Options.Prefix] + key.
//
// A merge-write is optimistic: WATCH the key, GET it, run the merge, then
// MULTI / SET / EXEC. If another client changed the key after the WATCH, EXEC
// does nothing and the merge-write is rerun on the newer record, after a
// random pause (full jitter, doubling from [Options.MinBackoff] up to
// [Options.MaxBackoff]), at most [Options.MaxRetries] times before failing
// with [store.ErrContention]. The reruns are counted in the retries that
// Update returns and in store.Stats.
//
// What survives a crash depends on the server's persistence settings (RDB
// snapshots, AOF with appendfsync always / everysec / no), not on this
// package: with appendfsync always, every merge-write that returned; with
// the defaults, the last snapshot. A client killed mid-write leaves the old
// or the new record, because EXEC applies the SET atomically.
package redisstore
