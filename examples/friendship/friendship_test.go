package main

import (
	"testing"

	json "github.com/goccy/go-json"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/crdttest"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/sets"
)

var testUsers = rapid.SampledFrom([]string{"alice", "bob", "carol", "dave"})

// TestFriendshipLaws runs the law checker on the composed Friendship.
func TestFriendshipLaws(t *testing.T) {
	crdttest.Check(t, crdttest.Spec[*compound.Struct[Friendship], map[string]any]{
		New: FriendshipType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[Friendship]) {
			set := s.Fields().Following
			if rapid.Bool().Draw(t, "followers") {
				set = s.Fields().Followers
			}
			u := testUsers.Draw(t, "user")
			var err error
			if rapid.Bool().Draw(t, "remove") {
				err = set.Remove(u)
			} else {
				err = set.Add(u)
			}
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

// buggyFriendship is Friendship with a hand-written merge, as in the
// original toolbox, including its bug: followers are merged from the other
// state's following set.
type buggyFriendship struct {
	following, followers *sets.LWWSet[string]
}

const buggyName = "friendshiptest.BuggyFriendship"

var _ crdt.CRDT[*buggyFriendship, map[string][]string] = (*buggyFriendship)(nil)

func newBuggy(r crdt.ReplicaID) *buggyFriendship {
	c := crdt.NewClock(r, nil)
	return &buggyFriendship{following: sets.NewLWWSetWithClock[string](c), followers: sets.NewLWWSetWithClock[string](c)}
}

func (b *buggyFriendship) Merge(o *buggyFriendship) error {
	if err := b.following.Merge(o.following); err != nil {
		return err
	}
	return b.followers.Merge(o.following) // the bug: should be o.followers
}

func (b *buggyFriendship) Value() map[string][]string {
	return map[string][]string{"followers": b.followers.Value(), "following": b.following.Value()}
}
func (b *buggyFriendship) Clone() *buggyFriendship {
	return &buggyFriendship{following: b.following.Clone(), followers: b.followers.Clone()}
}
func (b *buggyFriendship) TakeDelta() (*buggyFriendship, bool) {
	f1, ok1 := b.following.TakeDelta()
	f2, ok2 := b.followers.TakeDelta()
	if !ok1 && !ok2 {
		return nil, false
	}
	d := newBuggy(b.following.Replica())
	if ok1 {
		d.following = f1
	}
	if ok2 {
		d.followers = f2
	}
	return d, true
}
func (b *buggyFriendship) TypeName() string { return buggyName }
func (b *buggyFriendship) MergeState(o crdt.State) error {
	return crdt.MergeStateAs[*buggyFriendship](b, o)
}
func (b *buggyFriendship) CloneState() crdt.State { return b.Clone() }
func (b *buggyFriendship) TakeDeltaState() (crdt.State, bool) {
	d, ok := b.TakeDelta()
	if !ok {
		return nil, false
	}
	return d, true
}

type buggyPayload struct {
	Followers any `json:"followers"`
	Following any `json:"following"`
}

type buggyPayloadIn struct {
	Followers json.RawMessage `json:"followers"`
	Following json.RawMessage `json:"following"`
}

func (b *buggyFriendship) Payload() any {
	return &buggyPayload{Followers: b.followers.Payload(), Following: b.following.Payload()}
}

func (b *buggyFriendship) LoadPayload(data []byte) error {
	var p buggyPayloadIn
	if err := payload.DecodeStrict(data, &p); err != nil {
		return err
	}
	n := newBuggy(b.following.Replica())
	if err := n.followers.LoadPayload(p.Followers); err != nil {
		return payload.InField("followers", err)
	}
	if err := n.following.LoadPayload(p.Following); err != nil {
		return payload.InField("following", err)
	}
	// Keep the clock: the set's own clock has observed the loaded timestamps.
	b.following, b.followers = n.following, n.followers
	return nil
}

func init() {
	payload.MustRegister(payload.Type{Name: buggyName, Version: 1, New: func(r crdt.ReplicaID) crdt.State { return newBuggy(r) }})
}

func mutateSets(t *rapid.T, following, followers *sets.LWWSet[string]) {
	set := following
	if rapid.Bool().Draw(t, "followers") {
		set = followers
	}
	u := testUsers.Draw(t, "user")
	var err error
	if rapid.Bool().Draw(t, "remove") {
		err = set.Remove(u)
	} else {
		err = set.Add(u)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestBuggyFriendshipIsCaught shows the law checker catching the original
// toolbox's bug in a hand-written compound type, and passing the same type
// with the bug fixed by composition.
func TestBuggyFriendshipIsCaught(t *testing.T) {
	err := crdttest.Verify(crdttest.Spec[*buggyFriendship, map[string][]string]{
		New: newBuggy,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *buggyFriendship) {
			mutateSets(t, s.following, s.followers)
		},
	}, crdttest.Only(crdttest.LawCommutative, crdttest.LawIdempotent, crdttest.LawConvergence))
	require.Error(t, err, "the checker must catch a merge that joins followers from following")
	violated := crdttest.Violated(err)
	t.Logf("violated: %v", violated)
	assert.Contains(t, violated, crdttest.LawCommutative)
	assert.Contains(t, violated, crdttest.LawConvergence)

	err = crdttest.Verify(crdttest.Spec[*compound.Struct[Friendship], map[string]any]{
		New: FriendshipType.New,
		Mutate: func(t *rapid.T, _ crdt.ReplicaID, s *compound.Struct[Friendship]) {
			mutateSets(t, s.Fields().Following, s.Fields().Followers)
		},
	}, crdttest.Only(crdttest.LawCommutative, crdttest.LawIdempotent, crdttest.LawConvergence))
	assert.NoError(t, err, "the composed Friendship passes the same laws")
}

// TestGraphFollowersMirrorFollowing: two replicas follow and unfollow at
// random, exchange deltas in both directions, and must end with equal
// payloads in which every user's followers are exactly the users whose
// following holds them.
func TestGraphFollowersMirrorFollowing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ga, gb := NewGraph("a"), NewGraph("b")
		for range rapid.IntRange(1, 30).Draw(t, "ops") {
			g := ga
			if rapid.Bool().Draw(t, "on b") {
				g = gb
			}
			who, whom := testUsers.Draw(t, "who"), testUsers.Draw(t, "whom")
			if who == whom {
				require.ErrorIs(t, g.Follow(who, whom), ErrBadUser)
				continue
			}
			if rapid.Bool().Draw(t, "unfollow") {
				require.NoError(t, g.Unfollow(who, whom))
			} else {
				require.NoError(t, g.Follow(who, whom))
			}
			if rapid.IntRange(0, 4).Draw(t, "sync") == 0 {
				require.NoError(t, gb.MergeAll(ga.TakeDeltas()))
				require.NoError(t, ga.MergeAll(gb.TakeDeltas()))
			}
		}
		require.NoError(t, gb.MergeAll(ga.TakeDeltas()))
		require.NoError(t, ga.MergeAll(gb.TakeDeltas()))

		require.Equal(t, ga.Users(), gb.Users())
		for _, u := range ga.Users() {
			pa, err := payload.Marshal(ga.User(u))
			require.NoError(t, err)
			pb, err := payload.Marshal(gb.User(u))
			require.NoError(t, err)
			require.Equal(t, string(pa), string(pb), "user %s", u)
		}
		// The mirror invariant, computed independently from the following
		// sets.
		want := map[string][]string{}
		for _, u := range ga.Users() {
			for _, v := range ga.Following(u) {
				want[v] = append(want[v], u)
			}
		}
		for _, u := range ga.Users() {
			got := ga.Followers(u)
			if len(want[u]) == 0 {
				assert.Empty(t, got, "followers of %s", u)
				continue
			}
			assert.Equal(t, want[u], got, "followers of %s", u)
		}
	})
}

func TestGraphRejectsBadUsers(t *testing.T) {
	g := NewGraph("a")
	assert.ErrorIs(t, g.Follow("", "bob"), ErrBadUser)
	assert.ErrorIs(t, g.Follow("bob", ""), ErrBadUser)
	assert.ErrorIs(t, g.Unfollow("bob", "bob"), ErrBadUser)
	assert.Empty(t, g.Users(), "a rejected action creates no user")
}
