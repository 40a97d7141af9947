// Command cluster shows crdtkit's replication: CRDTs kept converged across
// nodes by package replicate over hashicorp/memberlist.
//
// Without flags it runs a demonstration in one process: three nodes on
// loopback, each with its own bbolt store in a temporary directory, make
// concurrent follow/unfollow updates (a Friendship per user, a composed
// CRDT of two last-writer-wins sets) and bump a shared counter; then one
// node is cut off by a partition, both sides keep writing, the partition
// heals, and the program prints a timeline: writes per node, bytes sent as
// deltas against what full-state sync would have sent, the time to
// convergence and the converged values.
//
//	go run ./examples/cluster
//
// With -node it runs a single node that joins other nodes, for a cluster of
// processes or machines:
//
//	go run ./examples/cluster -node a -bind 10.0.0.1:7946
//	go run ./examples/cluster -node b -bind 10.0.0.2:7946 -join 10.0.0.1:7946
//
// A single node makes -writes updates (a visit on the shared counter and a
// follow by the user named after the node, per write), then serves until
// interrupted. It prints "ready ADDR" once it listens, and a report of its
// keys, digests and values on SIGUSR1, on the line "report" on its standard
// input, and after -report-after. Other lines it reads: "write N" makes N
// more writes, "members" prints the members, "quit" leaves the cluster and
// exits, as SIGINT and SIGTERM do. Equal digests on two nodes mean equal
// states.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/crdtkit/crdtkit/compound"
	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/replicate"
	"github.com/crdtkit/crdtkit/store/boltstore"
)

func main() {
	var o nodeOptions
	flag.StringVar(&o.name, "node", "", "run a single node called `NAME` (default: the three-node demonstration)")
	flag.StringVar(&o.bind, "bind", "127.0.0.1:0", "listen for gossip on `HOST:PORT` (port 0: any free port)")
	flag.StringVar(&o.advertise, "advertise", "", "tell other nodes to reach this one at `HOST:PORT` (default: the bind address)")
	flag.StringVar(&o.join, "join", "", "join the nodes at these comma-separated `ADDRS` (HOST:PORT)")
	flag.StringVar(&o.data, "data", "", "keep the node's bbolt store in `DIR` (default: a directory under the OS temporary directory)")
	flag.IntVar(&o.writes, "writes", 10, "make `N` writes at start")
	flag.StringVar(&o.gossip, "gossip", "lan", "membership timing: lan (memberlist's LAN defaults) or fast (for one machine)")
	flag.StringVar(&o.key, "key", "", "encrypt traffic with this AES key, in `HEX` (16, 24 or 32 bytes)")
	flag.StringVar(&o.label, "label", "", "cluster `LABEL`; nodes with another label are rejected")
	flag.DurationVar(&o.reportAfter, "report-after", 0, "print a report after `DURATION` (0: only on request)")
	flag.DurationVar(&o.exitAfter, "exit-after", 0, "leave and exit after `DURATION` (0: run until interrupted)")
	flag.BoolVar(&o.verbose, "v", false, "show the membership layer's log")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "cluster: unexpected arguments:", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if o.name == "" {
		err = demo(ctx, os.Stdout)
	} else {
		err = runNode(ctx, o, os.Stdin, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// nodeOptions are the flags of single-node mode.
type nodeOptions struct {
	name, bind, advertise, join, data, gossip, key, label string
	writes                                                int
	reportAfter, exitAfter                                time.Duration
	verbose                                               bool
}

func splitHostPort(s string) (string, int, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return "", 0, fmt.Errorf("%q is not HOST:PORT", s)
	}
	port, err := strconv.Atoi(s[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", s)
	}
	return strings.Trim(s[:i], "[]"), port, nil
}

// nodeConfig turns the flags into a replicate.Config, opening the store.
func nodeConfig(o nodeOptions) (replicate.Config, error) {
	var cfg replicate.Config
	host, port, err := splitHostPort(o.bind)
	if err != nil {
		return cfg, fmt.Errorf("-bind: %w", err)
	}
	var mc *memberlist.Config
	switch o.gossip {
	case "lan":
		mc = memberlist.DefaultLANConfig()
	case "fast":
		mc = replicate.FastMemberlistConfig()
	default:
		return cfg, fmt.Errorf("-gossip: want lan or fast, not %q", o.gossip)
	}
	cfg = replicate.Config{Name: o.name, BindAddr: host, BindPort: port, Memberlist: mc, Label: o.label}
	if o.advertise != "" {
		if cfg.AdvertiseAddr, cfg.AdvertisePort, err = splitHostPort(o.advertise); err != nil {
			return cfg, fmt.Errorf("-advertise: %w", err)
		}
	}
	if o.join != "" {
		for _, a := range strings.Split(o.join, ",") {
			if a = strings.TrimSpace(a); a != "" {
				cfg.Join = append(cfg.Join, a)
			}
		}
	}
	if o.key != "" {
		if cfg.SecretKey, err = hex.DecodeString(o.key); err != nil {
			return cfg, fmt.Errorf("-key: %w", err)
		}
	}
	if o.verbose {
		cfg.LogOutput = os.Stderr
	}
	dir := o.data
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "crdtkit-cluster-"+o.name)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cfg, err
	}
	b, err := boltstore.Open(filepath.Join(dir, o.name+".db"), nil)
	if err != nil {
		return cfg, err
	}
	cfg.Backend = b
	return cfg, nil
}

// runNode is single-node mode.
func runNode(ctx context.Context, o nodeOptions, in io.Reader, stdout io.Writer) error {
	cfg, err := nodeConfig(o)
	if err != nil {
		return err
	}
	out := &syncWriter{w: stdout}
	n, err := replicate.Start(ctx, cfg)
	if err != nil {
		_ = cfg.Backend.Close()
		return err
	}
	out.printf("ready %s replica=%s\n", n.Addr(), n.Replica())

	var mu sync.Mutex // serialises writes, so that "write" lines add up
	written := 0
	write := func(k int) error {
		mu.Lock()
		defer mu.Unlock()
		for range k {
			written++
			if err := visit(ctx, n, 1); err != nil {
				return err
			}
			whom := fmt.Sprintf("user%d", written%7)
			if err := follow(ctx, n, o.name, whom, false); err != nil {
				return err
			}
		}
		return nil
	}
	if err := write(o.writes); err != nil {
		_ = n.Close()
		return err
	}
	out.printf("wrote %d\n", o.writes)

	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	var reportC, exitC <-chan time.Time
	if o.reportAfter > 0 {
		reportC = time.After(o.reportAfter)
	}
	if o.exitAfter > 0 {
		exitC = time.After(o.exitAfter)
	}
	for {
		select {
		case <-ctx.Done():
			return leave(n)
		case <-exitC:
			report(out, n)
			return leave(n)
		case <-reportC:
			report(out, n)
		case <-usr1:
			report(out, n)
		case line, ok := <-lines:
			if !ok {
				lines = nil // stdin closed: keep serving until signalled
				continue
			}
			f := strings.Fields(line)
			switch {
			case len(f) == 0:
			case f[0] == "report":
				report(out, n)
			case f[0] == "members":
				out.printf("members %s\n", strings.Join(n.Members(), ","))
			case f[0] == "write" && len(f) == 2:
				k, err := strconv.Atoi(f[1])
				if err != nil || k < 0 {
					out.printf("error bad count %q\n", f[1])
					continue
				}
				if err := write(k); err != nil {
					out.printf("error %v\n", err)
					continue
				}
				out.printf("wrote %d\n", k)
			case f[0] == "quit":
				return leave(n)
			default:
				out.printf("error unknown command %q\n", line)
			}
		}
	}
}

// leave tells the cluster the node leaves and closes it. A leave that no
// member acknowledged (the last node of a cluster, or one cut off) is only
// worth a warning: the node is closed all the same and its data is durable.
func leave(n *replicate.Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Leave(ctx); err != nil && !errors.Is(err, replicate.ErrClosed) {
		fmt.Fprintln(os.Stderr, "cluster: warning: leaving:", err)
	}
	return nil
}

// report prints the node's keys, one line each with its digest and value,
// between a header and "end".
func report(out *syncWriter, n *replicate.Node) {
	keys := n.Keys()
	var b strings.Builder
	fmt.Fprintf(&b, "report %s members=%s keys=%d\n", n.Name(), strings.Join(n.Members(), ","), len(keys))
	for _, k := range keys {
		d, _ := n.Digest(k)
		s, _ := n.Get(k)
		fmt.Fprintf(&b, "key %s %s %s\n", k, d, valueString(s))
	}
	b.WriteString("end\n")
	out.printf("%s", b.String())
}

// valueString renders a state's value as JSON (its payload for types this
// program does not know).
func valueString(s crdt.State) string {
	var v any
	switch s := s.(type) {
	case *counters.PNCounter:
		v = s.Value()
	case *compound.Struct[Friendship]:
		v = s.Value()
	default:
		p, err := payload.Marshal(s)
		if err != nil {
			return "?"
		}
		return string(p)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// syncWriter serialises whole writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format, args...)
}
