package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/sets"
)

// Friendship is one user's side of the follow graph: whom the user follows
// and who follows the user, each a last-writer-wins element set, so that a
// follow and a later unfollow of the same pair resolve by time on every
// replica.
//
// It is a fields struct for [compound.Struct]: the tags name the fields in
// payloads and values, and Merge, Clone, Payload, LoadPayload, Value and
// TakeDelta all come from the fields. There is no hand-written merge, so the
// original toolbox's bug, a merge that joined followers from the two
// following sets, cannot be written here (see TestBuggyFriendshipIsCaught
// for the law checker catching it in a hand-written type).
//
// The user a Friendship belongs to is its key: in a [Graph] and in the
// store ("friendship/alice"), as in the original, which stored each user's
// payload under the user's key.
type Friendship struct {
	Followers *sets.LWWSet[string] `crdt:"followers"`
	Following *sets.LWWSet[string] `crdt:"following"`
}

// FriendshipTypeName is the payload type name of a Friendship state.
const FriendshipTypeName = "friendship.Friendship"

// FriendshipType is the registered composed type; its states are
// *compound.Struct[Friendship].
var FriendshipType = compound.MustRegisterStruct(FriendshipTypeName, NewFriendshipFields)

// NewFriendshipFields returns empty fields bound to replica. The two sets
// share one clock, so the writes of a Friendship are ordered together.
func NewFriendshipFields(replica crdt.ReplicaID) Friendship {
	clock := crdt.NewClock(replica, nil)
	return Friendship{
		Followers: sets.NewLWWSetWithClock[string](clock),
		Following: sets.NewLWWSetWithClock[string](clock),
	}
}

// ErrBadUser is returned for an empty user name or a user following
// themselves.
var ErrBadUser = errors.New("friendship: invalid user")

// Graph is one replica's view of who follows whom: a Friendship per user,
// all bound to the replica.
type Graph struct {
	replica crdt.ReplicaID
	users   map[string]*compound.Struct[Friendship]
}

// NewGraph returns an empty graph for replica.
func NewGraph(replica crdt.ReplicaID) *Graph {
	return &Graph{replica: replica, users: make(map[string]*compound.Struct[Friendship])}
}

// Replica returns the replica the graph is bound to.
func (g *Graph) Replica() crdt.ReplicaID { return g.replica }

// User returns user's Friendship, creating an empty one if the graph has
// none.
func (g *Graph) User(user string) *compound.Struct[Friendship] {
	f, ok := g.users[user]
	if !ok {
		f = FriendshipType.New(g.replica)
		g.users[user] = f
	}
	return f
}

// Users returns the users the graph knows, sorted.
func (g *Graph) Users() []string { return slices.Sorted(maps.Keys(g.users)) }

// Put merges f, a Friendship of user from elsewhere (a store, another
// replica), into the graph's Friendship of user.
func (g *Graph) Put(user string, f *compound.Struct[Friendship]) error {
	if err := checkUser(user); err != nil {
		return err
	}
	if err := g.User(user).Merge(f); err != nil {
		return fmt.Errorf("friendship: merging %s: %w", user, err)
	}
	return nil
}

func checkUser(u string) error {
	if u == "" {
		return fmt.Errorf("%w: empty name", ErrBadUser)
	}
	return nil
}

func checkPair(who, whom string) error {
	if err := checkUser(who); err != nil {
		return err
	}
	if err := checkUser(whom); err != nil {
		return err
	}
	if who == whom {
		return fmt.Errorf("%w: %s cannot follow themselves", ErrBadUser, who)
	}
	return nil
}

// Follow records that who follows whom: whom joins who's following set and
// who joins whom's followers set. Both users' Friendships change, and both
// record a delta.
func (g *Graph) Follow(who, whom string) error {
	if err := checkPair(who, whom); err != nil {
		return err
	}
	if err := g.User(who).Fields().Following.Add(whom); err != nil {
		return err
	}
	return g.User(whom).Fields().Followers.Add(who)
}

// Unfollow records that who no longer follows whom, on both sides.
func (g *Graph) Unfollow(who, whom string) error {
	if err := checkPair(who, whom); err != nil {
		return err
	}
	if err := g.User(who).Fields().Following.Remove(whom); err != nil {
		return err
	}
	return g.User(whom).Fields().Followers.Remove(who)
}

// Following returns whom user follows, sorted.
func (g *Graph) Following(user string) []string {
	f, ok := g.users[user]
	if !ok {
		return nil
	}
	return f.Fields().Following.Value()
}

// Followers returns who follows user, sorted.
func (g *Graph) Followers(user string) []string {
	f, ok := g.users[user]
	if !ok {
		return nil
	}
	return f.Fields().Followers.Value()
}

// TakeDeltas returns, per user, the delta of the local follows and
// unfollows since the last call, and forgets them.
func (g *Graph) TakeDeltas() map[string]*compound.Struct[Friendship] {
	out := make(map[string]*compound.Struct[Friendship])
	for u, f := range g.users {
		if d, ok := f.TakeDelta(); ok {
			out[u] = d
		}
	}
	return out
}

// MergeAll merges per-user states or deltas from another replica.
func (g *Graph) MergeAll(states map[string]*compound.Struct[Friendship]) error {
	for _, u := range slices.Sorted(maps.Keys(states)) {
		if err := g.Put(u, states[u]); err != nil {
			return err
		}
	}
	return nil
}
