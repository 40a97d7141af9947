package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/sets"
)

// Friendship is one user's side of the follow graph, with the design of
// examples/friendship: whom the user follows and who follows the user, two
// last-writer-wins element sets sharing one clock, composed by
// [compound.Struct] so that no merge is written by hand. Its payloads are
// those of examples/friendship's type of the same name.
type Friendship struct {
	Followers *sets.LWWSet[string] `crdt:"followers"`
	Following *sets.LWWSet[string] `crdt:"following"`
}

// friendshipType is the registered composed type; its states are
// *compound.Struct[Friendship]. Every process of the cluster must register
// it under the same name to decode the others' payloads.
var friendshipType = compound.MustRegisterStruct("friendship.Friendship", newFriendshipFields)

func newFriendshipFields(replica crdt.ReplicaID) Friendship {
	clock := crdt.NewClock(replica, nil)
	return Friendship{
		Followers: sets.NewLWWSetWithClock[string](clock),
		Following: sets.NewLWWSetWithClock[string](clock),
	}
}

// Keys of the cluster's states.
const (
	friendshipPrefix = "friendship/" // + user name
	visitsKey        = "counter/visits"
)

var errSelfFollow = errors.New("cluster: a user cannot follow themselves")

// follow records on node n that who follows (or, with unfollow, no longer
// follows) whom: two keys change, who's Following and whom's Followers,
// each durable before it is gossiped.
func follow(ctx context.Context, n *replicate.Node, who, whom string, unfollow bool) error {
	if who == whom || who == "" || whom == "" {
		return fmt.Errorf("%w: %q, %q", errSelfFollow, who, whom)
	}
	set := func(s *sets.LWWSet[string], x string) error {
		if unfollow {
			return s.Remove(x)
		}
		return s.Add(x)
	}
	err := replicate.Update(ctx, n, friendshipPrefix+who, friendshipType.New, func(f *compound.Struct[Friendship]) error {
		return set(f.Fields().Following, whom)
	})
	if err != nil {
		return err
	}
	return replicate.Update(ctx, n, friendshipPrefix+whom, friendshipType.New, func(f *compound.Struct[Friendship]) error {
		return set(f.Fields().Followers, who)
	})
}

// visit adds k to the shared visits counter on node n.
func visit(ctx context.Context, n *replicate.Node, k uint64) error {
	return replicate.Update(ctx, n, visitsKey, counters.NewPNCounter, func(c *counters.PNCounter) error {
		return c.Inc(k)
	})
}
