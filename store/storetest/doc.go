// Package storetest is the conformance suite that every [store.Backend]
// passes: reads and merge-writes, listing with awkward prefixes, bad stored
// records, and no lost updates under 8 concurrent writers, as goroutines and,
// for backends that several processes may share, as OS processes, one of which
// is killed with SIGKILL in the middle of its writes.
//
// A backend's tests call [Run] with a [Harness], and its TestMain calls
// [Main] so that the test binary can be re-executed as a writer process.
// The suite is for tests only; it imports the testing package.
package storetest
