package ordered

import (
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// model is the oracle: a plain Go map, sorted on demand.
type model map[int]string

func (m model) sorted() []int { return slices.Sorted(maps.Keys(m)) }

func collect(m *Map[int, string]) ([]int, []string) {
	var ks []int
	var vs []string
	for k, v := range m.All() {
		ks = append(ks, k)
		vs = append(vs, v)
	}
	return ks, vs
}

func checkAgainst(t *rapid.T, m *Map[int, string], o model) {
	ks, vs := collect(m)
	want := o.sorted()
	if len(want) == 0 {
		want = nil
	}
	require.Equal(t, want, ks, "keys in ascending order")
	for i, k := range ks {
		require.Equal(t, o[k], vs[i], "value of %d", k)
	}
	require.Equal(t, len(o), m.Len())
}

// TestMapAgainstModel runs random operations on a Map and on a plain map and
// checks that they agree, including clones changed on both sides after the
// copy (the copy-on-write must not leak a write into the other tree).
func TestMapAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maps := []*Map[int, string]{{}}
		models := []model{{}}
		key := rapid.IntRange(-50, 50)
		val := rapid.StringMatching(`[a-c]{0,2}`)
		for range rapid.IntRange(0, 200).Draw(t, "ops") {
			i := rapid.IntRange(0, len(maps)-1).Draw(t, "map")
			m, o := maps[i], models[i]
			switch rapid.IntRange(0, 6).Draw(t, "op") {
			case 6:
				k, v := key.Draw(t, "k"), val.Draw(t, "v")
				_, had := o[k]
				require.Equal(t, !had, m.Insert(k, v))
				if !had {
					o[k] = v
				}
			case 0, 1:
				k, v := key.Draw(t, "k"), val.Draw(t, "v")
				_, had := o[k]
				require.Equal(t, had, m.Set(k, v))
				o[k] = v
			case 2:
				k, v := key.Draw(t, "k"), val.Draw(t, "v")
				_, had := o[k]
				require.Equal(t, had, m.Load(k, v))
				o[k] = v
			case 3:
				k := key.Draw(t, "k")
				want, had := o[k]
				got, ok := m.Delete(k)
				require.Equal(t, had, ok)
				require.Equal(t, want, got)
				delete(o, k)
			case 4:
				k := key.Draw(t, "k")
				want, had := o[k]
				got, ok := m.Get(k)
				require.Equal(t, had, ok)
				require.Equal(t, want, got)
				require.Equal(t, had, m.Has(k))
			case 5:
				c := m.Clone()
				maps = append(maps, &c)
				models = append(models, clone(o))
			}
		}
		for i := range maps {
			checkAgainst(t, maps[i], models[i])
		}
		m, o := maps[0], models[0]
		lo, hi := key.Draw(t, "lo"), key.Draw(t, "hi")
		var got []int
		for k := range m.Range(lo, hi) {
			got = append(got, k)
		}
		var want []int
		for _, k := range o.sorted() {
			if lo <= k && k <= hi {
				want = append(want, k)
			}
		}
		require.Equal(t, want, got, "Range(%d, %d)", lo, hi)
		if mk, mv, ok := m.Min(); ok {
			require.Equal(t, o.sorted()[0], mk)
			require.Equal(t, o[mk], mv)
			xk, _, _ := m.Max()
			require.Equal(t, o.sorted()[len(o)-1], xk)
		} else {
			require.Empty(t, o)
		}
	})
}

func clone(o model) model { return maps.Clone(o) }

// TestJoinAgainstModel checks Join against a union computed on plain maps,
// with a combining function that drops some keys.
func TestJoinAgainstModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := &Map[int, string]{}, &Map[int, string]{}
		oa, ob := model{}, model{}
		for _, k := range rapid.SliceOf(rapid.IntRange(0, 60)).Draw(t, "a") {
			a.Set(k, "a")
			oa[k] = "a"
		}
		for _, k := range rapid.SliceOf(rapid.IntRange(0, 60)).Draw(t, "b") {
			b.Set(k, "b")
			ob[k] = "b"
		}
		ca, cb := a.Clone(), b.Clone()
		got, err := Join(a, b, func(k int, va, vb string, side Side) (string, bool, error) {
			if k%7 == 0 {
				return "", false, nil
			}
			return va + vb, true, nil
		})
		require.NoError(t, err)
		want := model{}
		for k := range oa {
			want[k] = "a"
		}
		for k := range ob {
			want[k] += "b"
		}
		for k := range want {
			if k%7 == 0 {
				delete(want, k)
			}
		}
		checkAgainst(t, &got, want)
		checkAgainst(t, a, oa)
		checkAgainst(t, b, ob)
		checkAgainst(t, &ca, oa)
		checkAgainst(t, &cb, ob)
	})
}

func TestJoinStopsOnError(t *testing.T) {
	a := &Map[string, int]{}
	a.Set("x", 1)
	a.Set("y", 2)
	boom := errTest("boom")
	got, err := Join(a, &Map[string, int]{}, func(k string, va, vb int, side Side) (int, bool, error) {
		if k == "y" {
			return 0, false, boom
		}
		return va, true, nil
	})
	require.ErrorIs(t, err, boom)
	require.Zero(t, got.Len())
	require.Equal(t, 2, a.Len())
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestWithLessOrdersByIt(t *testing.T) {
	m := WithLess[int, bool](func(a, b int) bool { return a > b })
	for _, k := range []int{3, 1, 2} {
		m.Set(k, true)
	}
	require.Equal(t, []int{3, 2, 1}, slices.Collect(m.Keys()))
}

func TestPreferJoin(t *testing.T) {
	require.False(t, PreferJoin(1_000_000, 1), "one entry into a million: point update")
	require.True(t, PreferJoin(100_000, 100_000), "two equal large maps: join")
	require.True(t, PreferJoin(0, 5), "into an empty map: join (appending)")
}

func TestCloneAllocatesConstant(t *testing.T) {
	small, large := &Map[int, int]{}, &Map[int, int]{}
	for i := range 1000 {
		small.Load(i, i)
	}
	for i := range 100_000 {
		large.Load(i, i)
	}
	a := testing.AllocsPerRun(100, func() { _ = small.Clone() })
	b := testing.AllocsPerRun(100, func() { _ = large.Clone() })
	require.Equal(t, a, b, "Clone allocates the same at 1k and 100k entries")
}

// TestConcurrentClones clones and reads one map from several goroutines at
// once, as readers of a shared state do; under -race it proves Clone is a
// read of its source.
func TestConcurrentClones(t *testing.T) {
	var m Map[int, int]
	for i := range 1000 {
		m.Set(i, i)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c := m.Clone()
				c.Set(i, g) // the clone's write copies shared nodes
				if v, _ := m.Get(i); v != i {
					t.Errorf("source changed: key %d is %d", i, v)
					return
				}
			}
		}()
	}
	wg.Wait()
}
