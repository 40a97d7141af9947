package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/storeurl"
)

// ErrNoStore is returned by ls and get for a bolt: or dir: URL whose file or
// directory does not exist (opening would create an empty store).
var ErrNoStore = errors.New("no such store")

const storeHelp = `
STORE is a store URL, as package store/storeurl reads them:

	bolt:PATH (or a plain PATH)   a bbolt file; waits up to a second for
	                              another process to release it
	dir:PATH                      a directory of JSON files
	postgres://USER@HOST/DB?...   a PostgreSQL table
	redis://HOST:PORT/N           a Redis database`

func init() {
	commands = append(commands,
		&command{
			name:    "ls",
			args:    "[-l] STORE [PREFIX]",
			summary: "list a store's keys",
			help: `
Ls prints the keys of STORE that start with PREFIX, one a line, in byte
order. With -l it also decodes each record and prints its type and the size
of its canonical payload.
` + storeHelp,
			flags: func(fs *flag.FlagSet) {
				fs.Bool("l", false, "long listing: type and payload size of each key")
			},
			run: runLs,
		},
		&command{
			name:    "get",
			args:    "STORE KEY",
			summary: "print the payload stored under a key",
			help: `
Get prints the canonical payload stored under KEY in STORE, followed by a
newline; pipe it to "crdtkit inspect" to read it.
` + storeHelp,
			run: runGet,
		},
		&command{
			name:    "merge-write",
			args:    "STORE KEY [FILE]",
			summary: "merge a payload into the state stored under a key",
			help: `
Merge-write merges the payload in FILE (standard input if FILE is absent or
"-") into the state stored under KEY in STORE, atomically and without lost
updates, as a node does, creating the key if it is absent, and prints the
stored state's payload afterwards. Nothing is written if the payload is
invalid, of another type than the stored state, or if the stored record is
corrupt.
` + storeHelp,
			run: runMergeWrite,
		},
	)
}

// openStore opens url. When mustExist is set, a bolt or dir store that is
// not there is an error wrapping ErrNoStore instead of being created.
func (e *env) openStore(url string, mustExist bool) (*store.Store, error) {
	if mustExist {
		if path, ok := localPath(url); ok {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s", ErrNoStore, url)
			}
		}
	}
	st, err := storeurl.Open(e.ctx, url, replica)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", url, err)
	}
	return st, nil
}

// localPath returns the file or directory of a bolt or dir store URL.
func localPath(url string) (string, bool) {
	scheme, rest, found := strings.Cut(url, ":")
	switch strings.ToLower(scheme) {
	case "bolt", "bbolt", "dir":
		return rest, rest != ""
	case "mem", "memory", "postgres", "postgresql", "redis", "rediss":
		return "", false
	}
	if found && strings.Contains(url, "://") {
		return "", false
	}
	return url, true // a plain path is a bbolt file
}

func runLs(e *env, fs *flag.FlagSet, args []string) (err error) {
	if len(args) < 1 || len(args) > 2 {
		return usagef("ls needs STORE and at most one PREFIX, got %d arguments", len(args))
	}
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	st, err := e.openStore(args[0], true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	keys, err := st.List(e.ctx, prefix)
	if err != nil {
		return err
	}
	long := boolFlag(fs, "l")
	bad := 0
	for _, k := range keys {
		if !long {
			fmt.Fprintln(e.stdout, k)
			continue
		}
		s, err := st.Get(e.ctx, k)
		if err != nil {
			bad++
			fmt.Fprintf(e.stdout, "%s\t(error: %v)\n", k, err)
			continue
		}
		data, err := payload.Marshal(s)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\t%s\t%d\n", k, s.TypeName(), len(data))
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d records do not decode", store.ErrCorrupt, bad, len(keys))
	}
	return nil
}

func runGet(e *env, _ *flag.FlagSet, args []string) (err error) {
	if len(args) != 2 {
		return usagef("get needs STORE and KEY, got %d arguments", len(args))
	}
	st, err := e.openStore(args[0], true)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	s, err := st.Get(e.ctx, args[1])
	if err != nil {
		return err
	}
	data, err := payload.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", data)
	return err
}

func runMergeWrite(e *env, _ *flag.FlagSet, args []string) (err error) {
	if len(args) < 2 || len(args) > 3 {
		return usagef("merge-write needs STORE, KEY and at most one FILE, got %d arguments", len(args))
	}
	name := ""
	if len(args) == 3 {
		name = args[2]
	}
	in, err := e.readInput(name)
	if err != nil {
		return err
	}
	d, err := decode(in)
	if err != nil {
		return err
	}
	st, err := e.openStore(args[0], false)
	if err != nil {
		return err
	}
	defer closeStore(st, &err)
	if err := mergeWrite(e, st, args[1], d.state); err != nil {
		return err
	}
	// Read the result back rather than rely on what MergeWrite returns.
	s, err := st.Get(e.ctx, args[1])
	if err != nil {
		return err
	}
	data, err := payload.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", data)
	return err
}

// mergeWrite is the command's one use of Store.MergeWrite.
func mergeWrite(e *env, st *store.Store, key string, s crdt.State) error {
	return st.MergeWrite(e.ctx, key, s)
}

// closeStore closes st and reports its error through *err if there was no
// other.
func closeStore(st *store.Store, err *error) {
	if cerr := st.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("closing the store: %w", cerr)
	}
}
