package storeurl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/boltstore"
	"github.com/crdtkit/crdtkit/store/dirstore"
	"github.com/crdtkit/crdtkit/store/pgstore"
	"github.com/crdtkit/crdtkit/store/redisstore"
)

// ErrUnknownScheme is returned for a URL with a scheme storeurl does not
// know.
var ErrUnknownScheme = errors.New("storeurl: unknown store scheme")

// Open opens the store at url (see the package documentation) as a
// [store.Store] whose decoded states are bound to replica.
func Open(ctx context.Context, url string, replica crdt.ReplicaID, opts ...store.Option) (*store.Store, error) {
	b, err := OpenBackend(ctx, url)
	if err != nil {
		return nil, err
	}
	st, err := store.New(b, replica, opts...)
	if err != nil {
		b.Close()
		return nil, err
	}
	return st, nil
}

// OpenBackend opens the backend at url.
func OpenBackend(ctx context.Context, url string) (store.Backend, error) {
	if url == "" {
		return nil, errors.New("storeurl: empty store URL")
	}
	scheme, rest, _ := strings.Cut(url, ":")
	switch strings.ToLower(scheme) {
	case "mem", "memory":
		if rest != "" {
			return nil, fmt.Errorf("storeurl: %q: mem: takes no path", url)
		}
		return store.NewMemory(), nil
	case "bolt", "bbolt":
		if rest == "" {
			return nil, fmt.Errorf("storeurl: %q: missing file path", url)
		}
		return boltstore.Open(rest, nil)
	case "dir":
		if rest == "" {
			return nil, fmt.Errorf("storeurl: %q: missing directory path", url)
		}
		return dirstore.Open(rest, nil)
	case "postgres", "postgresql":
		return pgstore.Open(ctx, url, nil)
	case "redis", "rediss":
		return redisstore.Open(ctx, url, nil)
	}
	if strings.Contains(url, "://") {
		return nil, fmt.Errorf("%w: %q", ErrUnknownScheme, url)
	}
	return boltstore.Open(url, nil)
}
