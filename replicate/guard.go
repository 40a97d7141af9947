package replicate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// guardTransport stands between the node's transport and memberlist. It
// bounds what a peer can make the node hold before any message reaches the
// node's code: inbound TCP streams are handled a few at a time (memberlist
// alone serves every connection at once, each able to claim a 20 MiB
// buffer), and compressed messages are inflated by the guard within the
// node's bound, failing while inflating, before memberlist sees them.
type guardTransport struct {
	memberlist.NodeAwareTransport
	n *Node

	streams chan net.Conn
	packets chan *memberlist.Packet
	slots   chan struct{} // one per inbound stream being served
	wait    time.Duration // how long an inbound stream may wait for a slot

	streamLimit, packetLimit int // bytes a compressed message may inflate to

	done     chan struct{} // closed when shutdown starts
	stopped  chan struct{} // closed when the transport under it has stopped
	shutdown sync.Once
	err      error
}

func newGuard(inner memberlist.Transport, n *Node, streams int, wait time.Duration, streamLimit, packetLimit int) *guardTransport {
	nat, ok := inner.(memberlist.NodeAwareTransport)
	if !ok {
		nat = nodeAware{inner}
	}
	g := &guardTransport{
		NodeAwareTransport: nat,
		n:                  n,
		streams:            make(chan net.Conn),
		packets:            make(chan *memberlist.Packet),
		slots:              make(chan struct{}, streams),
		wait:               wait,
		streamLimit:        streamLimit,
		packetLimit:        packetLimit,
		done:               make(chan struct{}),
		stopped:            make(chan struct{}),
	}
	go g.forwardPackets()
	go g.forwardStreams()
	return g
}

// PacketCh delivers the packets that passed the guard.
func (g *guardTransport) PacketCh() <-chan *memberlist.Packet { return g.packets }

// StreamCh delivers the inbound streams the guard admitted.
func (g *guardTransport) StreamCh() <-chan net.Conn { return g.streams }

// Shutdown stops the guard and the transport under it. The guard keeps
// taking what the transport delivers until the transport has stopped: a
// NetTransport waits for its listeners, which may be waiting to deliver.
func (g *guardTransport) Shutdown() error {
	g.shutdown.Do(func() {
		close(g.done)
		g.err = g.NodeAwareTransport.Shutdown()
		close(g.stopped)
	})
	return g.err
}

// closing reports whether shutdown has started.
func (g *guardTransport) closing() bool {
	select {
	case <-g.done:
		return true
	default:
		return false
	}
}

func (g *guardTransport) forwardPackets() {
	in := g.NodeAwareTransport.PacketCh()
	for {
		var p *memberlist.Packet
		select {
		case <-g.stopped:
			return
		case p = <-in:
		}
		if g.closing() {
			continue
		}
		if err := checkPacket(p.Buf, g.packetLimit); err != nil {
			g.n.stats.inflateRefused.Add(1)
			continue
		}
		select {
		case <-g.done:
			return
		case g.packets <- p:
		}
	}
}

func (g *guardTransport) forwardStreams() {
	in := g.NodeAwareTransport.StreamCh()
	for {
		var c net.Conn
		select {
		case <-g.stopped:
			return
		case c = <-in:
		}
		if g.closing() {
			_ = c.Close()
			continue
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			go g.admit(c)
		case <-t.C:
			// Every slot has been busy for a whole wait: the peer tries
			// again (push/pull) or anti-entropy repairs (messages).
			g.n.stats.streamsRefused.Add(1)
			_ = c.Close()
		case <-g.done:
			t.Stop()
			_ = c.Close()
		}
	}
}

// admit reads the head of an inbound stream, inflating a compressed
// message within the bound, and hands memberlist a connection that replays
// what was read (inflated) before the rest of the stream. The stream's slot
// is freed when memberlist closes the connection.
func (g *guardTransport) admit(c net.Conn) {
	gc := &guardedConn{Conn: c, free: func() { <-g.slots }}
	_ = c.SetReadDeadline(time.Now().Add(g.wait))
	head, br, err := g.readHead(c)
	_ = c.SetReadDeadline(time.Time{})
	if err != nil {
		g.n.stats.inflateRefused.Add(1)
		_ = gc.Close()
		return
	}
	readers := make([]io.Reader, 0, len(head)+1)
	for _, h := range head {
		readers = append(readers, bytes.NewReader(h))
	}
	gc.r = io.MultiReader(append(readers, br)...)
	select {
	case g.streams <- gc:
	case <-g.done:
		_ = gc.Close()
	}
}

// readHead reads a stream's label header and message type and, for a
// compressed message, the message, which it returns inflated (in pieces);
// the bufio reader holds what was read ahead.
func (g *guardTransport) readHead(c net.Conn) ([][]byte, *bufio.Reader, error) {
	br := bufio.NewReader(c)
	var head []byte
	t, err := br.ReadByte()
	if err != nil {
		return nil, nil, err
	}
	if t == mlHasLabel {
		size, err := br.ReadByte()
		if err != nil {
			return nil, nil, err
		}
		label := make([]byte, size)
		if _, err := io.ReadFull(br, label); err != nil {
			return nil, nil, err
		}
		head = append([]byte{t, size}, label...)
		if t, err = br.ReadByte(); err != nil {
			return nil, nil, err
		}
	}
	if t != mlCompress {
		return [][]byte{append(head, t)}, br, nil
	}
	out, err := readCompressedChunks(br, g.streamLimit)
	if err != nil {
		return nil, nil, err
	}
	if len(out) == 0 || out[0][0] == mlCompress || out[0][0] == mlEncrypt {
		// memberlist compresses a stream's message once, and encrypts
		// outside the compression.
		return nil, nil, fmt.Errorf("%w: nested compression", ErrInflateLimit)
	}
	return append([][]byte{head}, out...), br, nil
}

// guardedConn is an admitted stream: reads come from r, and closing it
// frees its slot once.
type guardedConn struct {
	net.Conn
	r    io.Reader
	free func()
	once sync.Once
}

func (c *guardedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func (c *guardedConn) Close() error {
	c.once.Do(c.free)
	return c.Conn.Close()
}

// nodeAware gives a plain memberlist.Transport the node-aware methods.
type nodeAware struct{ memberlist.Transport }

func (t nodeAware) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}

func (t nodeAware) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}

// netTransport makes the transport memberlist would make for bindAddr and
// bindPort, retrying a few times when a free port (0) turns out taken for
// one of UDP and TCP, as memberlist does.
func netTransport(bindAddr string, bindPort int, logs io.Writer) (*memberlist.NetTransport, error) {
	cfg := &memberlist.NetTransportConfig{
		BindAddrs: []string{bindAddr},
		BindPort:  bindPort,
		Logger:    log.New(logs, "", log.LstdFlags),
	}
	tries := 1
	if bindPort == 0 {
		tries = 10
	}
	var err error
	for range tries {
		var nt *memberlist.NetTransport
		if nt, err = memberlist.NewNetTransport(cfg); err == nil {
			return nt, nil
		}
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, fmt.Errorf("replicate: transport on %s:%d: %w", bindAddr, bindPort, err)
}
