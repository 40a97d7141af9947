package cli_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/crdtkit/crdtkit/cmd/crdtkit/internal/cli"
)

// Example runs the command in-process: it converts a stamp to every format
// (the values are those of docs/itc.md's format table), then validates a
// payload with a zero count, which names the field and exits with 1.
func Example() {
	ctx := context.Background()
	code := cli.Run(ctx, []string{"itc", "convert", "{(1, 0); (0, 1, 0)}"}, nil, os.Stdout, os.Stderr)
	fmt.Println("exit status", code)

	bad := `{"state":{"counts":[{"n":0,"r":"web-1"}]},"type":"counters.GCounter","version":1}`
	code = cli.Run(ctx, []string{"validate"}, strings.NewReader(bad), os.Stdout, os.Stderr)
	fmt.Println("exit status", code)
	// Output:
	// text:    {(1, 0); (0, 1, 0)}
	// json:    {"id":[1,0],"event":[0,1,0]}
	// binary:  0109030102000401020100
	// compact: 8990
	// exit status 0
	// <stdin>: invalid
	//   field:  state.counts[0].n
	//   reason: payload: invalid payload: zero count (zero counts are left out)
	// exit status 1
}
