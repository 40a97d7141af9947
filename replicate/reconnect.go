package replicate

import (
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// events tracks membership so that members the failure detector declared
// dead (typically across a partition) are joined again once they answer;
// memberlist alone never brings them back. Members that left on purpose are
// forgotten.
type events Node

func (e *events) NotifyJoin(m *memberlist.Node) {
	n := (*Node)(e)
	if m.Name == n.cfg.Name {
		return
	}
	// memberlist calls this under its lock and later mutates m in place:
	// keep a copy, never m.
	node := memberlist.Node{Name: m.Name, Addr: slices.Clone(m.Addr), Port: m.Port}
	n.peersMu.Lock()
	n.peers[m.Name] = peer{node: node, addr: net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port)))}
	n.peersMu.Unlock()
}

func (e *events) NotifyLeave(m *memberlist.Node) {
	n := (*Node)(e)
	n.peersMu.Lock()
	defer n.peersMu.Unlock()
	if m.State == memberlist.StateLeft {
		delete(n.peers, m.Name)
		return
	}
	if p, ok := n.peers[m.Name]; ok {
		p.failedAt = time.Now()
		n.peers[m.Name] = p
	}
}

func (e *events) NotifyUpdate(m *memberlist.Node) { e.NotifyJoin(m) }

type peer struct {
	node     memberlist.Node // a private copy, safe to read at any time
	addr     string
	failedAt time.Time // zero while the peer is alive
}

// reconnectLoop periodically tries to join failed peers, and forgets those
// that failed longer than ReconnectTimeout ago.
func (n *Node) reconnectLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.ReconnectInterval)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-t.C:
		}
		var addrs []string
		n.peersMu.Lock()
		for name, p := range n.peers {
			if p.failedAt.IsZero() {
				continue
			}
			if time.Since(p.failedAt) > n.cfg.ReconnectTimeout {
				delete(n.peers, name)
				continue
			}
			addrs = append(addrs, p.addr)
		}
		n.peersMu.Unlock()
		for _, a := range addrs {
			if _, err := n.ml.Join([]string{a}); err == nil {
				n.stats.reconnects.Add(1)
			}
		}
	}
}

// member returns a copy of the live member called name, or nil.
func (n *Node) member(name string) *memberlist.Node {
	n.peersMu.Lock()
	defer n.peersMu.Unlock()
	p, ok := n.peers[name]
	if !ok || !p.failedAt.IsZero() {
		return nil
	}
	node := p.node
	return &node
}

// livePeers returns copies of every live member but this node.
func (n *Node) livePeers() []*memberlist.Node {
	n.peersMu.Lock()
	defer n.peersMu.Unlock()
	var out []*memberlist.Node
	for _, p := range n.peers {
		if p.failedAt.IsZero() {
			node := p.node
			out = append(out, &node)
		}
	}
	return out
}
