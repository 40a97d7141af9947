// Package storeurl opens any of crdtkit's stores from a URL, for programs
// that let their users choose a store with a flag:
//
//	mem:                            in memory (nothing persists)
//	PATH, bolt:PATH, bbolt:PATH     a bbolt file (single process)
//	dir:PATH                        a directory of JSON files
//	postgres://..., postgresql://...  a PostgreSQL table (pgstore.DefaultTable)
//	redis://..., rediss://...       a Redis database
//
// A plain path (no known scheme) is a bbolt file. It imports every backend;
// programs that need one store can import that backend alone.
package storeurl
