package compound_test

import (
	"fmt"
	"testing"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// benchFriendships returns two Friendships of n following and n followers
// each, half overlapping, on replicas a and b.
func benchFriendships(b *testing.B, n int) (x, y *compound.Struct[Friendship]) {
	x, y = FriendshipType.New("a"), FriendshipType.New("b")
	for i := range n {
		for _, s := range []*compound.Struct[Friendship]{x, y} {
			if s == y && i < n/2 {
				continue
			}
			e := fmt.Sprintf("user-%06d", i+map[bool]int{true: n / 2}[s == y])
			if err := s.Fields().Following.Add(e); err != nil {
				b.Fatal(err)
			}
			if err := s.Fields().Followers.Add(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	x.TakeDelta()
	y.TakeDelta()
	return x, y
}

// BenchmarkStructMerge compares a Struct merge (trial on clones, then the
// real merge) with merging the same two fields by hand, which is what the
// trial costs.
func BenchmarkStructMerge(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		x, y := benchFriendships(b, n)
		b.Run(fmt.Sprintf("struct/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				z := x.Clone()
				if err := z.Merge(y); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("fields-by-hand/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				f, g := x.Fields().Following.Clone(), x.Fields().Followers.Clone()
				if err := f.Merge(y.Fields().Following); err != nil {
					b.Fatal(err)
				}
				if err := g.Merge(y.Fields().Followers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStructLoad measures decoding a Friendship payload (trial into
// fresh fields, then the real load).
func BenchmarkStructLoad(b *testing.B) {
	x, _ := benchFriendships(b, 1000)
	data, err := payload.Marshal(x)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := payload.Unmarshal(data, crdt.ReplicaID("r")); err != nil {
			b.Fatal(err)
		}
	}
}
