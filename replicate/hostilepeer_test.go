package replicate_test

import (
	"bytes"
	"compress/lzw"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crdtkit/crdtkit/counters"
	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/replicate"
)

// tarpitTransport is a memberlist transport on loopback whose gossip (UDP)
// works and whose TCP port never completes a connection: its listener has a
// backlog of zero, filled by one connection of its own, so every dial to it
// hangs until the dialer's timeout. Its own outgoing dials work. A member
// using it answers probes and stays alive, but is a tarpit for any node
// that tries to send it something over TCP.
type tarpitTransport struct {
	udp     *net.UDPConn
	port    int
	lfd     *os.File // the listening socket, never accepted from
	filler  net.Conn
	packets chan *memberlist.Packet
	streams chan net.Conn
	once    sync.Once
}

func newTarpitTransport(t *testing.T) *tarpitTransport {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	port := sa.(*syscall.SockaddrInet4).Port
	tt := &tarpitTransport{
		port:    port,
		lfd:     os.NewFile(uintptr(fd), "tarpit"),
		packets: make(chan *memberlist.Packet, 64),
		streams: make(chan net.Conn),
	}
	// The one connection the backlog holds; every later one hangs.
	tt.filler, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	require.NoError(t, err)
	tt.udp, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	require.NoError(t, err)
	go func() {
		for {
			buf := make([]byte, 65536)
			n, from, err := tt.udp.ReadFrom(buf)
			if err != nil {
				return
			}
			tt.packets <- &memberlist.Packet{Buf: buf[:n], From: from, Timestamp: time.Now()}
		}
	}()
	return tt
}

func (tt *tarpitTransport) addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tt.port))
}

func (tt *tarpitTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return net.IPv4(127, 0, 0, 1), tt.port, nil
}

func (tt *tarpitTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return time.Time{}, err
	}
	_, err = tt.udp.WriteTo(b, ua)
	return time.Now(), err
}

func (tt *tarpitTransport) PacketCh() <-chan *memberlist.Packet { return tt.packets }
func (tt *tarpitTransport) StreamCh() <-chan net.Conn           { return tt.streams }

func (tt *tarpitTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, timeout)
}

func (tt *tarpitTransport) Shutdown() error {
	tt.once.Do(func() {
		_ = tt.udp.Close()
		_ = tt.filler.Close()
		_ = tt.lfd.Close()
	})
	return nil
}

// hostilePeer is a bare memberlist member that joins a node and then sends
// it whatever bytes a test wants.
type hostilePeer struct {
	ml     *memberlist.Memberlist
	target *memberlist.Node
}

func newHostilePeer(t *testing.T, name, join, victim string, mutate func(*memberlist.Config)) *hostilePeer {
	mc := memberlist.DefaultLocalConfig()
	mc.Name = name
	mc.BindAddr = "127.0.0.1"
	mc.BindPort = 0
	mc.LogOutput = io.Discard
	if mutate != nil {
		mutate(mc)
	}
	ml, err := memberlist.Create(mc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ml.Shutdown() })
	_, err = ml.Join([]string{join})
	require.NoError(t, err)
	h := &hostilePeer{ml: ml}
	for _, m := range ml.Members() {
		if m.Name == victim {
			h.target = m
		}
	}
	require.NotNil(t, h.target)
	return h
}

// digestsRequest is a digests message (kind 4) from the member called from,
// listing every bucket and no key: the receiver would answer with every
// state it holds.
func digestsRequest(from string) []byte {
	b := []byte{4}
	b = binary.AppendUvarint(b, uint64(len(from)))
	b = append(b, from...)
	b = binary.AppendUvarint(b, 256)
	for i := range 256 {
		b = binary.BigEndian.AppendUint16(b, uint16(i))
	}
	return binary.AppendUvarint(b, 0)
}

// oldDigestsRequest is the first form of the digests message (kind 3),
// which carried the address the answer was to go to.
func oldDigestsRequest(from, addr string) []byte {
	b := []byte{3}
	b = binary.AppendUvarint(b, uint64(len(from)))
	b = append(b, from...)
	b = binary.AppendUvarint(b, uint64(len(addr)))
	b = append(b, addr...)
	b = binary.AppendUvarint(b, 256)
	for i := range 256 {
		b = binary.BigEndian.AppendUint16(b, uint16(i))
	}
	return binary.AppendUvarint(b, 0)
}

// countingListener counts the TCP connections made to it.
func countingListener(t *testing.T) (addr string, accepted *atomic.Int64) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	accepted = new(atomic.Int64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	return l.Addr().String(), accepted
}

// TestTarpitAndReflectionCannotStallANode: a hostile member whose TCP port
// never completes a connection floods a node with digests requests (its
// own name, every bucket, so each asks for every state), forged requests
// from names that are no members, and requests in the old form that named
// an address for the answer. Meanwhile an honest member keeps writing. The
// honest writes must keep merging; the node must open no connection to an
// address taken from a message, answer no non-member, and send the tarpit
// at most one answer at a time.
func TestTarpitAndReflectionCannotStallANode(t *testing.T) {
	// No quiet window: the victim answers every difference at once.
	victim := startNode(t, "victim", func(c *replicate.Config) { c.AntiEntropyQuiet = -1 })
	honest := startNode(t, "honest", func(c *replicate.Config) { c.Join = []string{victim.Addr()} })
	ctx := context.Background()
	for i := range 40 {
		require.NoError(t, replicate.Update(ctx, victim, fmt.Sprintf("k%02d", i), newPN, func(c *counters.PNCounter) error { return c.Inc(1) }))
	}

	tarpit := newTarpitTransport(t)
	evil := newHostilePeer(t, "tarpit", victim.Addr(), "victim", func(c *memberlist.Config) { c.Transport = tarpit })
	reflectTo, reflected := countingListener(t)

	const requests = 300
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < requests; i++ {
			select {
			case <-stop:
				return
			default:
			}
			for _, m := range [][]byte{digestsRequest("tarpit"), digestsRequest("ghost"), oldDigestsRequest("tarpit", reflectTo)} {
				_ = evil.ml.SendReliable(evil.target, m)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()

	// Honest writes keep merging while the flood runs.
	start := time.Now()
	var worst time.Duration
	for i := 1; i <= 20; i++ {
		require.NoError(t, replicate.Update(ctx, honest, "honest", newPN, func(c *counters.PNCounter) error { return c.Inc(1) }))
		wrote := time.Now()
		require.Eventually(t, func() bool {
			c, ok := replicate.GetAs[*counters.PNCounter](victim, "honest")
			return ok && c.Value() == int64(i)
		}, 30*time.Second, 2*time.Millisecond, "honest write %d never merged: %+v", i, victim.Stats())
		worst = max(worst, time.Since(wrote))
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("20 honest writes merged in %v under the flood, the slowest after %v", time.Since(start), worst)

	s := victim.Stats()
	t.Logf("victim stats: %+v", s)
	assert.Zero(t, reflected.Load(), "the node connected to an address taken from a message")
	assert.Greater(t, s.DroppedNotMember, uint64(0), "requests from non-members must be dropped and counted")
	assert.Greater(t, s.DroppedMalformed, uint64(0), "old-form requests must be dropped and counted")
	assert.Greater(t, s.SendsCoalesced, uint64(0), "requests for one peer must be coalesced")
	// StatesSent also counts the states the victim's anti-entropy sends the
	// honest member, so it is not zero; that none reached the tarpit is what
	// reflected (connections to the address named in a message) shows.
	// One answer at a time, each given up at its first failed send (a 1s
	// dial timeout): far fewer attempts than requests times keys.
	assert.Less(t, s.SendErrors, uint64(requests), "sends to the tarpit")
	assert.Greater(t, s.SendsAbandoned, uint64(0))
}

// heapAfterGC is the live heap after a collection.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// peakHeap samples the heap every few milliseconds until stop is closed and
// returns the largest value seen.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return out
}

const mib = 1 << 20

// TestFloodCannotExhaustANode: four senders flood a node with 1 MiB
// messages over TCP while its merge loop is held up (a watcher blocks it),
// 200 MiB in all. The inbox is bounded in bytes (8 MiB here), so what the
// node retains stays near that bound instead of growing with the flood;
// what it dropped is counted, and once the merge loop runs again,
// anti-entropy repairs the honest writes the flood crowded out.
func TestFloodCannotExhaustANode(t *testing.T) {
	victim := startNode(t, "victim", func(c *replicate.Config) { c.InboxBytes = 8 * mib })
	honest := startNode(t, "honest", func(c *replicate.Config) { c.Join = []string{victim.Addr()} })
	ctx := context.Background()

	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	blocked := make(chan struct{}, 1)
	stopWatch := victim.Watch("block", func(crdt.State) {
		select {
		case blocked <- struct{}{}:
		default:
		}
		<-release
	})
	defer stopWatch()
	require.NoError(t, replicate.Update(ctx, honest, "block", newPN, func(c *counters.PNCounter) error { return c.Inc(1) }))
	select {
	case <-blocked:
	case <-time.After(30 * time.Second):
		t.Fatal("the victim never merged the blocking key")
	}

	evil := newHostilePeer(t, "flooder", victim.Addr(), "victim", func(c *memberlist.Config) { c.EnableCompression = false })
	base := heapAfterGC()
	stopSampling := make(chan struct{})
	peak := peakHeap(stopSampling)
	big := frame(2, "flood", strings.Repeat("a", mib-16))
	const senders, each = 4, 50
	var wg sync.WaitGroup
	var sent atomic.Int64
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if evil.ml.SendReliable(evil.target, big) == nil {
					sent.Add(1)
				}
			}
		}()
	}
	// Honest writes during the flood: gossiped into the same full inbox.
	for range 10 {
		require.NoError(t, replicate.Update(ctx, honest, "honest", newPN, func(c *counters.PNCounter) error { return c.Inc(1) }))
	}
	wg.Wait()
	close(stopSampling)
	retained := heapAfterGC()
	s := victim.Stats()
	t.Logf("flood: %d of %d MiB sent; heap before %d MiB, peak %d MiB, retained after the flood %d MiB; stats %+v",
		sent.Load(), senders*each, base/mib, <-peak/mib, retained/mib, s)
	require.Greater(t, sent.Load(), int64(senders*each/2), "the flood did not get through")
	assert.Greater(t, s.DroppedInboxBytes, uint64(0), "the byte bound must have dropped messages")
	// Generous: the inbox's 8 MiB plus buffers in flight, far below the
	// ~200 MiB an inbox bounded by count alone would hold.
	assert.Less(t, int64(retained)-int64(base), int64(48*mib), "memory retained under the flood")

	unblock()
	require.Eventually(t, func() bool {
		c, ok := replicate.GetAs[*counters.PNCounter](victim, "honest")
		return ok && c.Value() == 10
	}, 60*time.Second, 20*time.Millisecond, "honest writes never repaired: %+v", victim.Stats())
}

// compressedBomb is a memberlist compressed message (type 9: a msgpack map
// of Algo 0 and Buf, LZW) that inflates to a user message header followed
// by size zero bytes.
func compressedBomb(t *testing.T, size int) []byte {
	var z bytes.Buffer
	w := lzw.NewWriter(&z, lzw.LSB, 8)
	_, err := w.Write([]byte{8}) // a user message
	require.NoError(t, err)
	_, err = w.Write(make([]byte, size))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	b := []byte{9, 0x82, 0xa4, 'A', 'l', 'g', 'o', 0x00, 0xa3, 'B', 'u', 'f', 0xc6}
	b = binary.BigEndian.AppendUint32(b, uint32(z.Len()))
	return append(b, z.Bytes()...)
}

// TestCompressionBombsAndSlowStreamsAreBounded: a sender with no
// membership at all opens TCP streams to a node and sends compressed
// messages of about 25 KB that inflate to 30 MiB, UDP packets that inflate
// to 1 MiB, and streams that send nothing. The node refuses the bombs while
// inflating (at its bound, about 21 MiB, not memberlist's 40 MiB), serves a
// few streams at a time, and honest writes still arrive.
func TestCompressionBombsAndSlowStreamsAreBounded(t *testing.T) {
	victim := startNode(t, "victim", nil)
	honest := startNode(t, "honest", func(c *replicate.Config) { c.Join = []string{victim.Addr()} })
	ctx := context.Background()
	bomb := compressedBomb(t, 30*mib)
	t.Logf("bomb: %d bytes, inflating to 30 MiB", len(bomb))
	require.Less(t, len(bomb), 64<<10)

	base := heapAfterGC()
	stopSampling := make(chan struct{})
	peak := peakHeap(stopSampling)
	const bombs = 12
	var wg sync.WaitGroup
	for range bombs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", victim.Addr(), 5*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(20 * time.Second))
			_, _ = c.Write(bomb)
			_, _ = io.Copy(io.Discard, c) // until the node closes it
		}()
	}
	udpBomb := compressedBomb(t, mib)
	require.Less(t, len(udpBomb), 2048)
	u, err := net.Dial("udp", victim.Addr())
	require.NoError(t, err)
	for range 20 {
		_, _ = u.Write(udpBomb)
	}
	_ = u.Close()
	wg.Wait()
	close(stopSampling)
	top := <-peak
	s := victim.Stats()
	t.Logf("heap before %d MiB, peak %d MiB during %d bombs; stats %+v", base/mib, top/mib, bombs, s)
	assert.GreaterOrEqual(t, s.DroppedInflate, uint64(bombs), "every bomb must be refused and counted")
	// Generous: a few streams at a time, each stopped at ~21 MiB inflated.
	assert.Less(t, int64(top)-int64(base), int64(400*mib))

	// Streams that say nothing hold their slot only for the wait
	// (memberlist's TCPTimeout), then later ones are refused.
	var idle []net.Conn
	for range 12 {
		c, err := net.Dial("tcp", victim.Addr())
		require.NoError(t, err)
		idle = append(idle, c)
	}
	require.Eventually(t, func() bool { return victim.Stats().StreamsRefused > 0 }, 30*time.Second, 20*time.Millisecond)
	for _, c := range idle {
		_ = c.Close()
	}

	require.NoError(t, replicate.Update(ctx, honest, "after", newPN, func(c *counters.PNCounter) error { return c.Inc(3) }))
	require.Eventually(t, func() bool {
		c, ok := replicate.GetAs[*counters.PNCounter](victim, "after")
		return ok && c.Value() == 3
	}, 30*time.Second, 10*time.Millisecond)
}
