// Package worker is the writer that the store conformance suite runs in
// separate OS processes (the test binary re-executed, see storetest.Main): it
// merge-writes counter increments and set additions and acknowledges each
// round on its output only after both writes returned.
package worker

import (
	"context"
	"fmt"
	"io"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/sets"
	"github.com/crdtkit/crdtkit/store"
)

// Element returns the set element that replica adds in round i.
func Element(replica crdt.ReplicaID, i int) string {
	return fmt.Sprintf("%s/%d", replica, i)
}

// Run performs n rounds (n < 0: until ctx ends or an error) on st. Round i
// increments the counters.PNCounter under counterKey by one for st's replica
// and adds Element(replica, i) to the sets.ORSet[string] under setKey, each
// as a delta merge-write, then writes "ack i\n" to out.
func Run(ctx context.Context, st *store.Store, counterKey, setKey string, n int, out io.Writer) error {
	replica := st.Replica()
	counter := counters.NewPNCounter(replica)
	set := sets.NewORSet[string](replica)
	for i := 0; n < 0 || i < n; i++ {
		if err := counter.Inc(1); err != nil {
			return err
		}
		d, _ := counter.TakeDelta()
		if err := st.MergeWrite(ctx, counterKey, d); err != nil {
			return err
		}
		if err := set.Add(Element(replica, i)); err != nil {
			return err
		}
		sd, _ := set.TakeDelta()
		if err := st.MergeWrite(ctx, setKey, sd); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "ack %d\n", i); err != nil {
			return err
		}
	}
	return nil
}
