// Package causal is the dot and causal-context kernel of crdtkit's
// tombstone-free CRDTs: the add-wins observed-remove set (sets.ORSet) and the
// observed-remove maps built on the same machinery.
//
// It follows the delta-state CRDT framework of Almeida, Shoker and Baquero
// ("Delta State Replicated Data Types", 2018) and riak_dt's ORSWOT:
//
//   - A [Dot] (replica, counter) names one update. A replica allocates its
//     dots in sequence with [Context.Next].
//   - A [Context] is the set of every dot a replica has seen, including dots
//     whose updates were since removed or overwritten. It is stored
//     compactly, as a version vector (replica -> largest contiguous counter)
//     plus a cloud of dots seen out of order, so its size grows with the
//     number of replicas, not with history.
//   - A dot store holds only the dots that are still visible: [DotSet] for
//     one entry, [DotMap] from keys to dot sets. An entry with no dot is
//     absent; nothing else (no tombstone) remembers it.
//
// A state is a dot store together with its context. The join of two states
// keeps a dot if both stores hold it, or if one store holds it and the other
// side's context has not seen it; a dot that the other side has seen but no
// longer holds was removed there, so it goes. Contexts join by union. This
// one rule gives add-wins semantics: a remove only removes the dots it has
// observed, so a concurrent add (a dot the remover never saw) survives.
//
// Removes travel as contexts: removing an entry drops its dots from the
// store and keeps them in the context, and a delta for the remove is an
// empty store with a context of the removed dots. Such a delta can arrive
// before the add it removes; the dots stay in the receiver's context
// (in the cloud, if out of order) and the add is dropped when it arrives.
//
// Payload forms: a Dot is {"n":counter,"r":replica}; a Context is
// {"cloud":[dots],"vv":[{"n":max,"r":replica}]} with both arrays sorted.
//
// None of the types here is safe for concurrent use.
package causal
