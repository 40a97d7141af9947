package replicate

import (
	"sync"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/store"
)

// Every TCP send of the node runs here, apart from the merge loop, from
// Update and from memberlist's goroutines: a send to a peer that never
// answers can delay only other sends, never a merge. Work waits in a
// bounded queue and is done by a fixed number of workers; each job has a
// deadline, and a job's first failed send abandons the rest of it (the next
// anti-entropy round repairs what it would have carried). Peers are named,
// never addressed: a job resolves its peer among the live members at the
// address the membership layer knows, so no message can point the node at
// an address of the sender's choice.

type jobKind uint8

const (
	jobAnswer  jobKind = iota + 1 // answer a peer's digests with the states it lacks
	jobDigests                    // send a peer our digests of the buckets that differ
	jobDelta                      // send a peer a delta too large for gossip
)

type sendJob struct {
	kind jobKind
	peer string // member name
	msg  []byte // jobAnswer: the peer's digests message; otherwise: the message to send
	held int    // inbox bytes reserved for msg, released when the job ends
}

type sender struct {
	queue chan sendJob

	mu      sync.Mutex
	pending map[pendingKey]bool // answers and digests queued or running, one per peer and kind
}

type pendingKey struct {
	kind jobKind
	peer string
}

func newSender(size int) *sender {
	return &sender{queue: make(chan sendJob, size), pending: make(map[pendingKey]bool)}
}

// enqueue queues j without blocking. Answers and digests are coalesced per
// peer: while one is queued or running, another for the same peer is
// refused (the peer asks again at its next push/pull), so however many
// requests arrive, the node does at most one answer's work per member at a
// time. It reports whether j was queued.
func (n *Node) enqueue(j sendJob) bool {
	s := n.sender
	coalesce := j.kind != jobDelta
	k := pendingKey{j.kind, j.peer}
	if coalesce {
		s.mu.Lock()
		if s.pending[k] {
			s.mu.Unlock()
			n.stats.sendsCoalesced.Add(1)
			return false
		}
		s.pending[k] = true
		s.mu.Unlock()
	}
	select {
	case s.queue <- j:
		return true
	default:
		if coalesce {
			s.mu.Lock()
			delete(s.pending, k)
			s.mu.Unlock()
		}
		n.stats.sendQueueFull.Add(1)
		return false
	}
}

func (n *Node) finish(j sendJob) {
	n.release(j.held)
	if j.kind == jobDelta {
		return
	}
	s := n.sender
	s.mu.Lock()
	delete(s.pending, pendingKey{j.kind, j.peer})
	s.mu.Unlock()
}

// sendLoop is one send worker.
func (n *Node) sendLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.done:
			return
		case j := <-n.sender.queue:
			n.runJob(j)
			n.finish(j)
		}
	}
}

// drainSends releases what jobs still queued at Close hold.
func (n *Node) drainSends() {
	for {
		select {
		case j := <-n.sender.queue:
			n.finish(j)
		default:
			return
		}
	}
}

func (n *Node) runJob(j sendJob) {
	peer := n.member(j.peer)
	if peer == nil {
		n.stats.notMember.Add(1)
		return
	}
	deadline := time.Now().Add(n.sendTimeout)
	switch j.kind {
	case jobDigests:
		n.send(peer, j.msg)
	case jobDelta:
		if n.send(peer, j.msg) {
			n.stats.deltaBytesSent.Add(uint64(len(j.msg)))
			n.stats.fullStateBytes.Add(uint64(n.fullStateSize(j.msg)))
		}
	case jobAnswer:
		d, err := decodeDigests(j.msg[1:], store.MaxKeyLen)
		if err != nil {
			n.stats.dropped(err)
			return
		}
		for _, key := range n.answerKeys(d) {
			if time.Now().After(deadline) {
				n.stats.sendsAbandoned.Add(1)
				return
			}
			msg, ok := n.stateMsg(key)
			if !ok {
				continue
			}
			if !n.send(peer, msg) {
				// The peer is slow or gone: leave the rest to the next
				// round rather than wait a timeout per key.
				n.stats.sendsAbandoned.Add(1)
				return
			}
			n.stats.stateBytesSent.Add(uint64(len(msg)))
			n.stats.statesSent.Add(1)
		}
	}
}

// send sends msg to peer over TCP; memberlist bounds the dial and the write
// by its TCPTimeout.
func (n *Node) send(peer *memberlist.Node, msg []byte) bool {
	if err := n.ml.SendReliable(peer, msg); err != nil {
		n.stats.sendErrors.Add(1)
		return false
	}
	return true
}

// stateMsg encodes key's current state as a state message, or reports
// false when the key is gone or its state is too large to send. It holds
// the key's lock while encoding: a state is changed in place only under it.
func (n *Node) stateMsg(key string) ([]byte, bool) {
	unlock := n.lockKey(key)
	n.mu.RLock()
	e, ok := n.entries[key]
	var st crdt.State
	if ok {
		st = e.state
	}
	n.mu.RUnlock()
	if !ok {
		unlock()
		return nil, false
	}
	p, err := n.codec.Marshal(st)
	unlock()
	if err != nil {
		return nil, false
	}
	msg := appendKeyPayload(msgState, key, p)
	if len(msg) > n.maxTransfer {
		n.stats.tooLarge.Add(1)
		return nil, false
	}
	return msg, true
}
