// Package replicate keeps CRDTs converged across processes and machines, on
// hashicorp/memberlist's gossip membership.
//
// A [Node] holds named CRDT states (keys to any type registered with package
// payload) in a [store.Backend]. [Update] (or [Node.Update]) applies a local
// mutation: its delta is merge-written into the backend, so the mutation is
// durable before Update returns, and is then gossiped to the cluster. Nodes
// that receive a delta merge it and, if it was news to them, gossip it on.
// Deltas too large for a gossip packet go to every member over TCP instead.
//
// Lost deltas are repaired by anti-entropy on memberlist's periodic
// push/pull: nodes exchange 256 bucket hashes of their keys' digests (4 KiB
// whatever the number of keys), then the key digests of the buckets that
// differ, then the full states of the keys that differ. Every key therefore
// converges once a partition heals and gossip runs; members the failure
// detector declared dead are joined again periodically.
//
// Received messages are decoded with the node's [payload.Codec] and its
// limits; a message that fails to decode, carries an unknown type or a
// state of the wrong type for its key is dropped and counted in [Stats].
// [Config.SecretKey] encrypts all traffic and [Config.Label] keeps clusters
// apart. A node's CRDT replica id is stored in its backend and survives
// restarts; it is distinct from its member name.
//
// [Network] and [FaultyTransport] cut a loopback cluster into partitions and
// lose, duplicate and delay its packets, for tests and demonstrations.
//
// docs/replication.md describes the protocol, its guarantees, configuration
// and sizing; examples/cluster runs a cluster in one process or several.
package replicate
