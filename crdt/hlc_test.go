package crdt_test

import (
	"math"
	"sync"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/crdtkit/crdtkit/crdt"
)

// fakeTime is a wall clock the test moves by hand, backwards too.
type fakeTime struct {
	mu sync.Mutex
	t  int64
}

func (f *fakeTime) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Unix(0, f.t)
}

func (f *fakeTime) set(ns int64) {
	f.mu.Lock()
	f.t = ns
	f.mu.Unlock()
}

// TestClockOrdersAfterEverythingSeen drives two clocks with wall clocks that
// jump around and exchange timestamps; every timestamp a clock issues must
// order after every timestamp it issued or observed before, and no two
// issued timestamps may be equal.
func TestClockOrdersAfterEverythingSeen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		walls := [2]*fakeTime{{}, {}}
		clocks := [2]*crdt.Clock{
			crdt.NewClock("a", walls[0].now),
			crdt.NewClock("b", walls[1].now),
		}
		var seen [2]crdt.Timestamp // the largest timestamp known to each clock
		issued := map[crdt.Timestamp]bool{}
		for i := range rapid.IntRange(1, 60).Draw(t, "steps") {
			c := rapid.IntRange(0, 1).Draw(t, "clock")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				walls[c].set(rapid.Int64Range(0, 50).Draw(t, "wall"))
			case 1:
				ts := clocks[c].Now()
				if !seen[c].IsZero() && ts.Compare(seen[c]) <= 0 {
					t.Fatalf("step %d: %v does not order after %v", i, ts, seen[c])
				}
				if issued[ts] {
					t.Fatalf("step %d: %v issued twice", i, ts)
				}
				issued[ts] = true
				seen[c] = ts
			case 2:
				other := 1 - c
				if !seen[other].IsZero() {
					clocks[c].Observe(seen[other])
					if seen[other].Compare(seen[c]) > 0 {
						seen[c] = seen[other]
					}
				}
			}
		}
	})
}

func TestClockLogicalOverflowBorrowsANanosecond(t *testing.T) {
	w := &fakeTime{t: 100}
	c := crdt.NewClock("a", w.now)
	c.Observe(crdt.Timestamp{Wall: 100, Logical: math.MaxUint32 - 1, Replica: "b"})
	t1 := c.Now()
	t2 := c.Now()
	assert.Equal(t, crdt.Timestamp{Wall: 100, Logical: math.MaxUint32, Replica: "a"}, t1)
	assert.Equal(t, crdt.Timestamp{Wall: 101, Logical: 0, Replica: "a"}, t2)
}

func TestTimestampCompareBreaksTiesByReplica(t *testing.T) {
	a := crdt.Timestamp{Wall: 5, Logical: 1, Replica: "a"}
	b := crdt.Timestamp{Wall: 5, Logical: 1, Replica: "b"}
	assert.Equal(t, -1, a.Compare(b))
	assert.Equal(t, 1, b.Compare(a))
	assert.Equal(t, 0, a.Compare(a))
	assert.Equal(t, -1, b.Compare(crdt.Timestamp{Wall: 5, Logical: 2, Replica: "a"}))
	assert.Equal(t, 1, a.Compare(crdt.Timestamp{Wall: 4, Logical: 9, Replica: "z"}))
}

// TestTimestampKeepsNanosecondsThroughJSON guards against the trap of
// timestamps that lose precision in a payload.
func TestTimestampKeepsNanosecondsThroughJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ts := crdt.Timestamp{
			Wall:    rapid.Int64().Draw(t, "wall"),
			Logical: rapid.Uint32().Draw(t, "logical"),
			Replica: crdt.ReplicaID(rapid.StringN(1, -1, -1).Draw(t, "r")), // decoding rejects an empty replica id
		}
		data, err := json.Marshal(ts)
		require.NoError(t, err)
		var back crdt.Timestamp
		require.NoError(t, json.Unmarshal(data, &back))
		assert.Equal(t, ts, back)
	})
	data, err := json.Marshal(crdt.Timestamp{Wall: 1, Logical: 2, Replica: "r"})
	require.NoError(t, err)
	assert.Equal(t, `{"l":2,"r":"r","w":1}`, string(data), "keys must be sorted for canonical payloads")
}

func TestNewReplicaIDIsFreshAndValid(t *testing.T) {
	a, b := crdt.NewReplicaID(), crdt.NewReplicaID()
	assert.NotEqual(t, a, b)
	assert.NoError(t, a.Validate())
	assert.ErrorIs(t, crdt.ReplicaID("").Validate(), crdt.ErrNoReplica)
}
