// Command crdtkit looks inside crdtkit payloads, stores and Interval Tree
// Clock stamps: it inspects, validates, merges and compares payload files,
// lists, reads and merge-writes the records of any store by URL, and
// converts, compares and draws ITC stamps.
//
// Install it with
//
//	go install github.com/crdtkit/crdtkit/cmd/crdtkit@latest
//
// and run "crdtkit help" for the commands. Exit status: 0 for success, 1 for
// a negative answer (an invalid payload, two payloads that differ) or an
// error, 2 for a usage error.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/crdtkit/crdtkit/cmd/crdtkit/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
