package replicate

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// discardLogger silences the transports' own logging.
var discardLogger = log.New(io.Discard, "", 0)

// ErrPartitioned is returned by a [FaultyTransport] dial across a partition.
var ErrPartitioned = errors.New("replicate: address is on the other side of a partition")

// Network is a switchboard for [FaultyTransport]s: it cuts the cluster into
// partitions and heals them, and it can lose, duplicate and delay gossip
// packets. It exists to test and demonstrate replication under faults on one
// machine; real deployments use memberlist's own transport. The zero Network
// delivers everything.
type Network struct {
	mu       sync.Mutex
	side     map[string]int // address -> partition side; absent = 0
	drop     float64
	dup      float64
	maxDelay time.Duration
}

// Transport returns a new transport listening on bindAddr (an IP) at a free
// port, whose traffic obeys the network's faults.
func (w *Network) Transport(bindAddr string) (*FaultyTransport, error) {
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{bindAddr},
		BindPort:  0,
		Logger:    discardLogger,
	})
	if err != nil {
		return nil, fmt.Errorf("replicate: transport: %w", err)
	}
	self := net.JoinHostPort(bindAddr, strconv.Itoa(nt.GetAutoBindPort()))
	return &FaultyTransport{NetTransport: nt, net: w, self: self}, nil
}

// Partition cuts the network into the given sides (lists of transport
// addresses). Addresses on different sides cannot reach each other;
// addresses not listed form one more side together.
func (w *Network) Partition(sides ...[]string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.side = make(map[string]int)
	for i, s := range sides {
		for _, a := range s {
			w.side[a] = i + 1
		}
	}
}

// Heal removes every partition.
func (w *Network) Heal() {
	w.mu.Lock()
	w.side = nil
	w.mu.Unlock()
}

// SetFaults makes the network drop a fraction drop of gossip packets,
// duplicate a fraction dup of them, and delay each by up to maxDelay, which
// also reorders them. TCP streams are not affected.
func (w *Network) SetFaults(drop, dup float64, maxDelay time.Duration) {
	w.mu.Lock()
	w.drop, w.dup, w.maxDelay = drop, dup, maxDelay
	w.mu.Unlock()
}

func (w *Network) cut(a, b string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.side[a] != w.side[b]
}

// FaultyTransport is a memberlist transport on loopback or a real interface
// whose outgoing traffic obeys a [Network]'s partitions and faults.
type FaultyTransport struct {
	*memberlist.NetTransport
	net  *Network
	self string
}

// Addr returns the address the transport listens on.
func (t *FaultyTransport) Addr() string { return t.self }

// WriteTo sends a packet unless the destination is cut off or the packet is
// lost; it may also send it twice or late.
func (t *FaultyTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	now := time.Now()
	if t.net.cut(t.self, addr) {
		return now, nil
	}
	t.net.mu.Lock()
	drop, dup, maxDelay := t.net.drop, t.net.dup, t.net.maxDelay
	t.net.mu.Unlock()
	if drop > 0 && rand.Float64() < drop {
		return now, nil
	}
	copies := 1
	if dup > 0 && rand.Float64() < dup {
		copies = 2
	}
	if maxDelay <= 0 {
		for range copies {
			if _, err := t.NetTransport.WriteTo(b, addr); err != nil {
				return now, err
			}
		}
		return now, nil
	}
	msg := append([]byte(nil), b...)
	for range copies {
		d := rand.N(maxDelay)
		time.AfterFunc(d, func() { _, _ = t.NetTransport.WriteTo(msg, addr) })
	}
	return now, nil
}

// WriteToAddress is WriteTo for memberlist's address type.
func (t *FaultyTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

// DialTimeout opens a stream unless the destination is cut off.
func (t *FaultyTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if t.net.cut(t.self, addr) {
		return nil, fmt.Errorf("%w: %s", ErrPartitioned, addr)
	}
	return t.NetTransport.DialTimeout(addr, timeout)
}

// DialAddressTimeout is DialTimeout for memberlist's address type.
func (t *FaultyTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}
