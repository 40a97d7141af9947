// Package testserver starts throwaway PostgreSQL and Redis servers for the
// store tests, on free loopback ports with their data in temporary
// directories, unless the environment names existing servers:
//
//	CRDTKIT_POSTGRES_URL  e.g. postgres://user:pw@127.0.0.1:5432/db?sslmode=disable
//	CRDTKIT_REDIS_URL     e.g. redis://127.0.0.1:6379/0
//
// One server of each kind is started per test binary, on first use, and
// stopped by [StopAll] (call it from TestMain after m.Run); it also dies with
// the test process. Without the server binaries a test is skipped with a
// message naming the Debian package, except under CI=true where it fails.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Environment variables naming existing servers.
const (
	EnvPostgres = "CRDTKIT_POSTGRES_URL"
	EnvRedis    = "CRDTKIT_REDIS_URL"
)

// EnvDurable, set to anything, makes the throwaway PostgreSQL server fsync
// its commits (PostgreSQL's defaults), for benchmarks; by default the tests
// run it with fsync, synchronous_commit and full_page_writes off, which
// changes nothing the tests check (they kill clients, not the server).
const EnvDurable = "CRDTKIT_TESTSERVER_DURABLE"

type server struct {
	once sync.Once
	url  string
	err  error
	// missing is set when the binaries are not installed.
	missing bool
	stop    func()
}

var (
	pg, rd server
	stopMu sync.Mutex
)

// StopAll stops the servers this process started.
func StopAll() {
	stopMu.Lock()
	defer stopMu.Unlock()
	for _, s := range []*server{&pg, &rd} {
		if s.stop != nil {
			s.stop()
			s.stop = nil
		}
	}
}

func (s *server) get(t testing.TB, pkg string, start func() (string, func(), error)) string {
	t.Helper()
	s.once.Do(func() {
		url, stop, err := start()
		var me *missingError
		if errors.As(err, &me) {
			s.missing = true
		}
		s.url, s.stop, s.err = url, stop, err
	})
	if s.missing {
		msg := fmt.Sprintf("%v: install the Debian package %s (.ci/setup-services does)", s.err, pkg)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.url
}

type missingError struct{ what string }

func (e *missingError) Error() string { return e.what + " not found" }

// Postgres returns the URL of a PostgreSQL server to test against.
func Postgres(t testing.TB) string {
	if url := os.Getenv(EnvPostgres); url != "" {
		return url
	}
	return pg.get(t, "postgresql", startPostgres)
}

// Redis returns the URL of a Redis server to test against.
func Redis(t testing.TB) string {
	if url := os.Getenv(EnvRedis); url != "" {
		return url
	}
	return rd.get(t, "redis-server", startRedis)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", &missingError{"PostgreSQL's initdb"}
}

// credential returns who runs the server: the current user, or, as root
// (which initdb refuses), the postgres user or else nobody.
func credential() (*syscall.Credential, error) {
	if os.Getuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("testserver: running as root and no postgres or nobody user to run PostgreSQL as")
}

func command(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func startPostgres() (string, func(), error) {
	bin, err := postgresBin()
	if err != nil {
		return "", nil, err
	}
	cred, err := credential()
	if err != nil {
		return "", nil, err
	}
	base, err := os.MkdirTemp("", "crdtkit-pg-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(base) }
	if cred != nil {
		if err := os.Chown(base, int(cred.Uid), int(cred.Gid)); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	data := filepath.Join(base, "data")
	initdb := command(cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.Dir = base
	if out, err := initdb.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("testserver: initdb: %w\n%s", err, out)
	}
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			cleanup()
			return "", nil, err
		}
		var log bytes.Buffer
		args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", base,
			"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "shared_buffers=32MB"}
		if os.Getenv(EnvDurable) == "" {
			// The tests kill clients, never the server: its own
			// durability only costs time here.
			args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
		}
		cmd := command(cred, filepath.Join(bin, "postgres"), args...)
		cmd.Dir = base
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			cleanup()
			return "", nil, err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
		stop := func() {
			cmd.Process.Signal(syscall.SIGINT) // fast shutdown
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
		if err := waitReady(exited, func(ctx context.Context) error {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				return err
			}
			return conn.Close(ctx)
		}); err != nil {
			stop()
			lastErr = fmt.Errorf("testserver: postgres did not start: %w\n%s", err, log.String())
			continue
		}
		return url, func() { stop(); cleanup() }, nil
	}
	cleanup()
	return "", nil, lastErr
}

// waitReady polls ping until it succeeds, the server exits or 60 s pass.
func waitReady(exited <-chan struct{}, ping func(context.Context) error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := ping(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("server exited: %w", err)
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startRedis() (string, func(), error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, &missingError{"redis-server"}
	}
	dir, err := os.MkdirTemp("", "crdtkit-redis-")
	if err != nil {
		return "", nil, err
	}
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		var log bytes.Buffer
		cmd := command(nil, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--maxclients", "1000")
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
		url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
		opts, _ := redis.ParseURL(url)
		if err := waitReady(exited, func(ctx context.Context) error {
			c := redis.NewClient(opts)
			defer c.Close()
			return c.Ping(ctx).Err()
		}); err != nil {
			stop()
			lastErr = fmt.Errorf("testserver: redis-server did not start: %w\n%s", err, log.String())
			continue
		}
		return url, func() { stop(); os.RemoveAll(dir) }, nil
	}
	os.RemoveAll(dir)
	return "", nil, lastErr
}
