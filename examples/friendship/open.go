package main

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"

	"github.com/crdtkit/crdtkit/store"
	"github.com/crdtkit/crdtkit/store/storeurl"
)

// defaultStore is the store used without -store or -dir: a bbolt file in a
// fixed directory under the OS temporary directory.
func defaultStore() (url, dir string) {
	dir = filepath.Join(os.TempDir(), defaultDir)
	return "bolt:" + filepath.Join(dir, boltFile), dir
}

// openBackend opens the store the flags name (through storeurl, which knows
// every store) and describes it for the user.
func openBackend(ctx context.Context, cfg config) (store.Backend, string, error) {
	if cfg.dir != "" && cfg.store != "" {
		return nil, "", errors.New("give -store or -dir, not both")
	}
	u, where := cfg.store, redact(cfg.store)
	switch {
	case cfg.dir != "":
		u, where = "dir:"+cfg.dir, "directory of JSON files "+cfg.dir
	case u == "":
		var dir string
		u, dir = defaultStore()
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", err
		}
		where = "bbolt file " + filepath.Join(dir, boltFile) + " (the default; change it with -store or -dir)"
	}
	b, err := storeurl.OpenBackend(ctx, u)
	if err != nil {
		return nil, "", err
	}
	return b, where, nil
}

// redact hides a password in a server URL before it is printed.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}
