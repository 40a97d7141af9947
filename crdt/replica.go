package crdt

import (
	"errors"

	"github.com/google/uuid"
)

// ErrNoReplica is returned where a replica id is required and the given one is
// empty.
var ErrNoReplica = errors.New("crdt: empty replica id")

// ReplicaID names one replica of a CRDT. Any non-empty string will do; it must
// be unique among the replicas that write to the same state and stable for the
// life of a replica (store it and pass it back when the replica restarts).
// crdtkit never invents a replica id behind the caller's back and never takes
// one from a payload.
type ReplicaID string

// NewReplicaID returns a fresh random replica id (a UUID, version 4).
func NewReplicaID() ReplicaID {
	return ReplicaID(uuid.NewString())
}

// Validate returns [ErrNoReplica] if r is empty.
func (r ReplicaID) Validate() error {
	if r == "" {
		return ErrNoReplica
	}
	return nil
}

// String returns r as a plain string.
func (r ReplicaID) String() string { return string(r) }
