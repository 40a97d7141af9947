package replicate

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/store"
)

// Backend keys: every CRDT lives under dataPrefix+key; the node's replica id
// is a raw record of its own.
const (
	dataPrefix = "data/"
	replicaKey = "node/replica-id"
	keyStripes = 64
)

var (
	// ErrClosed is returned by calls on a closed node.
	ErrClosed = errors.New("replicate: node closed")
	// ErrNoState is returned by an update of a key that does not exist when
	// no constructor was given.
	ErrNoState = errors.New("replicate: key has no state and no constructor was given")
	// ErrReplicaMismatch is returned by [Start] when Config.Replica differs
	// from the replica id stored in the backend.
	ErrReplicaMismatch = errors.New("replicate: replica id differs from the stored one")
	// ErrStateTooLarge is returned by an update that would make a key's
	// state too large for one message over memberlist's TCP transfer.
	ErrStateTooLarge = errors.New("replicate: state too large to transfer")
)

// maxTransfer is the largest message memberlist accepts over TCP (its
// maxUserMsgBytes, 20 MiB): the receiver drops a larger one without telling
// the sender, so a key whose state is larger could never be repaired by
// anti-entropy.
const maxTransfer = 20 << 20

type entry struct {
	state   crdt.State
	sum     digest
	size    int // bytes of the canonical payload
	bucket  uint16
	changed time.Time // when sum last changed

	// The first and the latest time anti-entropy held back this key's state
	// (unix ns, 0: not held back), to bound how long it may do so.
	deferredFirst, deferredLast atomic.Int64
}

// Node holds named CRDTs and keeps them converged with every other node of
// its cluster: local mutations are persisted, then gossiped as deltas;
// periodic anti-entropy compares bucket hashes and exchanges only the keys
// that differ. All methods are safe for concurrent use.
type Node struct {
	cfg     Config
	replica crdt.ReplicaID
	store   *store.Store
	codec   payload.Codec
	ml      *memberlist.Memberlist
	queue   *memberlist.TransmitLimitedQueue

	keyLocks [keyStripes]sync.Mutex

	mu       sync.RWMutex
	entries  map[string]*entry
	buckets  [numBuckets]digest
	byBucket [numBuckets]map[string]*entry

	peersMu sync.Mutex
	peers   map[string]peer

	watchMu  sync.Mutex
	watchers map[string]map[uint64]func(crdt.State)
	watchSeq uint64

	inbox  chan []byte
	sender *sender
	// inboxBytes is the size of the received messages waiting in the inbox
	// and in answer jobs, bounded by maxInbox.
	inboxBytes atomic.Int64
	maxInbox   int64
	// skippedRounds counts push/pull rounds skipped in a row because the
	// inbox was busy.
	skippedRounds atomic.Int32
	done          chan struct{}
	wg            sync.WaitGroup
	closed        atomic.Bool

	sendTimeout time.Duration // see Config.SendTimeout
	maxGossip   int
	maxTransfer int
	quiet       time.Duration // see Config.AntiEntropyQuiet
	stats       counters
}

// Start opens a node: it loads the replica id and every state from
// cfg.Backend, starts the membership layer and joins cfg.Join. States whose
// stored record cannot be decoded are left untouched in the backend, counted
// in [Stats].CorruptAtStart, and not served.
func Start(ctx context.Context, c Config) (*Node, error) {
	cfg, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	replica, err := loadReplica(ctx, cfg.Backend, cfg.Replica)
	if err != nil {
		return nil, err
	}
	st, err := store.New(cfg.Backend, replica, store.WithCodec(cfg.Codec))
	if err != nil {
		return nil, fmt.Errorf("replicate: %w", err)
	}
	n := &Node{
		cfg:      cfg,
		replica:  replica,
		store:    st,
		codec:    cfg.Codec,
		entries:  make(map[string]*entry),
		watchers: make(map[string]map[uint64]func(crdt.State)),
		inbox:    make(chan []byte, cfg.InboxSize),
		sender:   newSender(cfg.SendQueue),
		maxInbox: int64(cfg.InboxBytes),
		peers:    make(map[string]peer),
		done:     make(chan struct{}),
	}
	if err := n.loadAll(ctx); err != nil {
		return nil, err
	}

	mc := cfg.Memberlist
	if mc == nil {
		mc = memberlist.DefaultLANConfig()
	} else {
		copied := *mc
		mc = &copied
	}
	mc.Name = cfg.Name
	mc.BindAddr = cfg.BindAddr
	mc.BindPort = cfg.BindPort
	mc.AdvertisePort = cfg.BindPort
	if cfg.AdvertiseAddr != "" {
		mc.AdvertiseAddr = cfg.AdvertiseAddr
	}
	if cfg.AdvertisePort != 0 {
		mc.AdvertisePort = cfg.AdvertisePort
	}
	if len(cfg.SecretKey) > 0 {
		mc.SecretKey = cfg.SecretKey
	}
	if cfg.Label != "" {
		mc.Label = cfg.Label
	}
	mc.Delegate = (*delegate)(n)
	mc.Events = (*events)(n)
	mc.LogOutput = cfg.LogOutput
	mc.Logger = nil
	// A gossip message must fit in one packet with memberlist's headers,
	// label and encryption overhead; larger deltas go over TCP.
	n.maxGossip = mc.UDPBufferSize - 256
	n.maxTransfer = maxTransfer
	n.quiet = cfg.AntiEntropyQuiet
	if n.quiet == 0 {
		n.quiet = mc.PushPullInterval
	}
	n.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       func() int { return n.numMembers() },
		RetransmitMult: mc.RetransmitMult,
	}
	n.sendTimeout = cfg.SendTimeout
	if n.sendTimeout == 0 {
		n.sendTimeout = 3 * mc.TCPTimeout
	}
	n.wg.Add(1 + cfg.SendWorkers)
	go n.mergeLoop()
	for range cfg.SendWorkers {
		go n.sendLoop()
	}

	inner := mc.Transport
	if inner == nil {
		nt, err := netTransport(mc.BindAddr, mc.BindPort, cfg.LogOutput)
		if err != nil {
			n.stopLoop()
			return nil, err
		}
		if mc.BindPort == 0 {
			mc.BindPort = nt.GetAutoBindPort()
			if cfg.AdvertisePort == 0 {
				mc.AdvertisePort = mc.BindPort
			}
		}
		inner = nt
	}
	// A compressed message may inflate to what the node accepts at most,
	// plus room for memberlist's own headers and member list; a packet
	// to what one datagram can carry.
	guard := newGuard(inner, n, cfg.InboundStreams, mc.TCPTimeout,
		n.maxTransfer+1<<20, max(64<<10, 2*mc.UDPBufferSize))
	mc.Transport = guard

	ml, err := memberlist.Create(mc)
	if err != nil {
		_ = guard.Shutdown()
		n.stopLoop()
		return nil, fmt.Errorf("replicate: starting membership: %w", err)
	}
	n.ml = ml
	n.wg.Add(1)
	go n.reconnectLoop()
	if len(cfg.Join) > 0 {
		if _, err := ml.Join(cfg.Join); err != nil {
			_ = ml.Shutdown()
			n.stopLoop()
			return nil, fmt.Errorf("replicate: joining %v: %w", cfg.Join, err)
		}
	}
	return n, nil
}

// loadReplica returns the replica id stored in b, storing want (or a new id)
// on a first start.
func loadReplica(ctx context.Context, b store.Backend, want crdt.ReplicaID) (crdt.ReplicaID, error) {
	var got crdt.ReplicaID
	_, err := b.Update(ctx, replicaKey, func(cur *store.Record) (string, []byte, error) {
		if cur != nil {
			got = crdt.ReplicaID(cur.Snapshot)
			if err := got.Validate(); err != nil {
				return "", nil, fmt.Errorf("replicate: stored replica id: %w", err)
			}
			if want != "" && want != got {
				return "", nil, fmt.Errorf("%w: configured %q, stored %q", ErrReplicaMismatch, want, got)
			}
			return "", nil, nil
		}
		got = want
		if got == "" {
			got = crdt.NewReplicaID()
		}
		return "", []byte(got), nil
	})
	if err != nil {
		return "", fmt.Errorf("replicate: replica id: %w", err)
	}
	return got, nil
}

func (n *Node) loadAll(ctx context.Context) error {
	keys, err := n.store.List(ctx, dataPrefix)
	if err != nil {
		return fmt.Errorf("replicate: loading: %w", err)
	}
	for _, k := range keys {
		s, err := n.store.Get(ctx, k)
		if err != nil {
			n.stats.corruptAtStart.Add(1)
			continue
		}
		p, err := n.codec.Marshal(s)
		if err != nil {
			n.stats.corruptAtStart.Add(1)
			continue
		}
		n.install(k[len(dataPrefix):], s, p)
	}
	return nil
}

// install makes s the state of key; p is its canonical payload. It returns
// whether the state's payload changed. n.mu must not be held.
func (n *Node) install(key string, s crdt.State, p []byte) bool {
	sum := payloadDigest(p)
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.entries[key]
	if ok {
		if e.sum == sum {
			e.state = s
			return false
		}
		n.buckets[e.bucket].xor(entryHash(key, e.sum))
	} else {
		e = &entry{bucket: bucketOf(key)}
		n.entries[key] = e
		if n.byBucket[e.bucket] == nil {
			n.byBucket[e.bucket] = make(map[string]*entry)
		}
		n.byBucket[e.bucket][key] = e
	}
	e.state, e.sum, e.size, e.changed = s, sum, len(p), time.Now()
	n.buckets[e.bucket].xor(entryHash(key, sum))
	return true
}

func (n *Node) lockKey(key string) func() {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &n.keyLocks[h.Sum32()%keyStripes]
	m.Lock()
	return m.Unlock
}

// Replica returns the node's CRDT replica id.
func (n *Node) Replica() crdt.ReplicaID { return n.replica }

// Name returns the node's name in the cluster.
func (n *Node) Name() string { return n.cfg.Name }

// Addr returns the address ("host:port") other nodes can join.
func (n *Node) Addr() string {
	ln := n.ml.LocalNode()
	return net.JoinHostPort(ln.Addr.String(), strconv.Itoa(int(ln.Port)))
}

// Members returns the names of the cluster's live members, this node
// included, in sorted order.
func (n *Node) Members() []string {
	names := []string{n.cfg.Name}
	for _, m := range n.livePeers() {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

func (n *Node) numMembers() int {
	if n.ml == nil {
		return 1
	}
	return n.ml.NumMembers()
}

// Join adds the node to the cluster of the given addresses and returns how
// many it reached.
func (n *Node) Join(addrs ...string) (int, error) {
	return n.ml.Join(addrs)
}

// Get returns a copy of the state under key.
func (n *Node) Get(key string) (crdt.State, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	e, ok := n.entries[key]
	if !ok {
		return nil, false
	}
	return e.state.CloneState(), true
}

// typeOf returns the type name of key's state without copying the state.
func (n *Node) typeOf(key string) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	e, ok := n.entries[key]
	if !ok {
		return "", false
	}
	return e.state.TypeName(), true
}

// GetAs returns a copy of the state under key if it exists and is an S.
func GetAs[S crdt.State](n *Node, key string) (S, bool) {
	s, ok := n.Get(key)
	if !ok {
		var zero S
		return zero, false
	}
	typed, ok := s.(S)
	return typed, ok
}

// Keys returns the node's keys in sorted order.
func (n *Node) Keys() []string {
	n.mu.RLock()
	keys := make([]string, 0, len(n.entries))
	for k := range n.entries {
		keys = append(keys, k)
	}
	n.mu.RUnlock()
	slices.Sort(keys)
	return keys
}

// Digest returns the hex SHA-256 prefix of key's canonical payload; equal
// digests on two nodes mean equal states.
func (n *Node) Digest(key string) (string, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	e, ok := n.entries[key]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%x", e.sum[:]), true
}

// Update applies a local mutation to the state under key. A missing key is
// first created with newState (which may be nil when the key is known to
// exist). mutate works on a copy; its delta is merge-written into the backend
// and only then does the copy replace the node's state and the delta go out
// to the cluster. When Update returns nil the mutation is durable; when it
// returns an error nothing has changed, in memory or in the backend.
func (n *Node) Update(ctx context.Context, key string, newState func(crdt.ReplicaID) crdt.State, mutate func(crdt.State) error) error {
	if n.closed.Load() {
		return ErrClosed
	}
	if err := store.ValidateKey(key); err != nil {
		return fmt.Errorf("replicate: update %q: %w", key, err)
	}
	unlock := n.lockKey(key)
	defer unlock()

	next, _, exists := n.working(key)
	if !exists {
		if newState == nil {
			return fmt.Errorf("replicate: update %q: %w", key, ErrNoState)
		}
		next = newState(n.replica)
	}
	if err := mutate(next); err != nil {
		return fmt.Errorf("replicate: update %q: %w", key, err)
	}
	delta, ok := next.TakeDeltaState()
	if !ok {
		return nil
	}
	full, err := n.codec.Marshal(next)
	if err != nil {
		return fmt.Errorf("replicate: update %q: %w", key, err)
	}
	if size := stateMsgSize(key, full); size > n.maxTransfer {
		return fmt.Errorf("replicate: update %q: %w: %d bytes, limit %d", key, ErrStateTooLarge, size, n.maxTransfer)
	}
	if err := n.store.MergeWrite(ctx, dataPrefix+key, delta); err != nil {
		return fmt.Errorf("replicate: update %q: %w", key, err)
	}
	n.install(key, next, full)
	dp, err := n.codec.Marshal(delta)
	if err == nil {
		n.stats.localUpdates.Add(1)
		n.broadcast(appendKeyPayload(msgDelta, key, dp))
	}
	n.notify(key, next)
	return nil
}

// Update is [Node.Update] for a known type S.
func Update[S crdt.State](ctx context.Context, n *Node, key string, newState func(crdt.ReplicaID) S, mutate func(S) error) error {
	var mk func(crdt.ReplicaID) crdt.State
	if newState != nil {
		mk = func(r crdt.ReplicaID) crdt.State { return newState(r) }
	}
	return n.Update(ctx, key, mk, func(s crdt.State) error {
		typed, ok := s.(S)
		if !ok {
			var zero S
			return fmt.Errorf("%w: key holds %s, not %T", crdt.ErrTypeMismatch, s.TypeName(), zero)
		}
		return mutate(typed)
	})
}

// Watch calls fn with a copy of key's state each time a local update or a
// merge changes it. Calls come from the goroutine that applied the change,
// one at a time per key; fn must not block for long. The returned function
// stops the calls.
func (n *Node) Watch(key string, fn func(crdt.State)) (stop func()) {
	n.watchMu.Lock()
	defer n.watchMu.Unlock()
	n.watchSeq++
	id := n.watchSeq
	if n.watchers[key] == nil {
		n.watchers[key] = make(map[uint64]func(crdt.State))
	}
	n.watchers[key][id] = fn
	return func() {
		n.watchMu.Lock()
		defer n.watchMu.Unlock()
		delete(n.watchers[key], id)
	}
}

func (n *Node) notify(key string, s crdt.State) {
	n.watchMu.Lock()
	fns := make([]func(crdt.State), 0, len(n.watchers[key]))
	for _, fn := range n.watchers[key] {
		fns = append(fns, fn)
	}
	n.watchMu.Unlock()
	for _, fn := range fns {
		fn(s.CloneState())
	}
}

// incoming is a received state or delta for one key, with the message that
// carried it.
type incoming struct {
	state crdt.State
	msg   []byte
}

// working returns a copy of key's state for a change, with the digest of
// the state it copies; exists is false when the key has no state. The caller
// holds key's lock, so the copy stays current until the change is installed.
func (n *Node) working(key string) (next crdt.State, sum digest, exists bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	e, ok := n.entries[key]
	if !ok {
		return nil, digest{}, false
	}
	return e.state.CloneState(), e.sum, true
}

// mergeIncoming folds the states received for key into the node's state: it
// joins them, merge-writes the join into the backend once, and installs the
// result. It returns whether the node's state changed.
func (n *Node) mergeIncoming(key string, in []incoming) (bool, error) {
	unlock := n.lockKey(key)
	defer unlock()

	next, sum, exists := n.working(key)
	if !exists {
		var err error
		if next, err = n.emptyLike(in[0].state); err != nil {
			return false, err
		}
	}
	join := in[0].state
	for _, x := range in[1:] {
		if err := join.MergeState(x.state); err != nil {
			return false, err
		}
	}
	if err := next.MergeState(join); err != nil {
		return false, err
	}
	full, err := n.codec.Marshal(next)
	if err != nil {
		return false, err
	}
	if exists && payloadDigest(full) == sum {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.WriteTimeout)
	defer cancel()
	if err := n.store.MergeWrite(ctx, dataPrefix+key, join); err != nil {
		n.stats.storeErrors.Add(1)
		return false, err
	}
	n.install(key, next, full)
	n.notify(key, next)
	return true, nil
}

// emptyLike returns an empty state of s's type bound to this node's replica.
func (n *Node) emptyLike(s crdt.State) (crdt.State, error) {
	reg := n.codec.Registry
	if reg == nil {
		reg = payload.Default
	}
	t, ok := reg.Lookup(s.TypeName())
	if !ok {
		return nil, fmt.Errorf("%w: %q", payload.ErrUnknownType, s.TypeName())
	}
	return t.New(n.replica), nil
}

// Leave tells the cluster the node is leaving for good, then closes it.
func (n *Node) Leave(ctx context.Context) error {
	if n.closed.Load() {
		return ErrClosed
	}
	timeout := n.cfg.WriteTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	err := n.ml.Leave(timeout)
	return errors.Join(err, n.Close())
}

// Close stops the node without telling the cluster (as a crash would, but
// with every acknowledged update already durable) and closes its backend.
func (n *Node) Close() error {
	if !n.closed.CompareAndSwap(false, true) {
		return nil
	}
	err := n.ml.Shutdown()
	n.stopLoop()
	return errors.Join(err, n.store.Close())
}

func (n *Node) stopLoop() {
	close(n.done)
	n.wg.Wait()
	n.drainSends()
}

// maxBatch is how many received messages the merge loop takes at once.
const maxBatch = 256

// maxSkippedRounds is how many push/pull rounds in a row anti-entropy may
// skip because the inbox is busy.
const maxSkippedRounds = 3

// mergeLoop merges received messages off memberlist's goroutines, in
// batches: all the states a batch holds for one key cost one merge-write.
func (n *Node) mergeLoop() {
	defer n.wg.Done()
	batch := make([][]byte, 0, maxBatch)
	for {
		select {
		case <-n.done:
			return
		case msg := <-n.inbox:
			batch = append(batch[:0], msg)
		more:
			for len(batch) < maxBatch {
				select {
				case m := <-n.inbox:
					batch = append(batch, m)
				default:
					break more
				}
			}
			n.handleBatch(batch)
			size := 0
			for _, m := range batch {
				size += len(m)
			}
			n.release(size)
		}
	}
}

// reserve takes size bytes of the inbox's byte budget, or reports false
// when they do not fit.
func (n *Node) reserve(size int) bool {
	if n.inboxBytes.Add(int64(size)) > n.maxInbox {
		n.inboxBytes.Add(-int64(size))
		return false
	}
	return true
}

// release gives size bytes back to the inbox's budget.
func (n *Node) release(size int) { n.inboxBytes.Add(-int64(size)) }

// inboxBusy reports whether received messages are still waiting to be
// merged: more than 1/8 of the inbox, by count or by bytes.
func (n *Node) inboxBusy() bool {
	return len(n.inbox) > cap(n.inbox)/8 || n.inboxBytes.Load() > n.maxInbox/8
}

func (n *Node) handleBatch(batch [][]byte) {
	byKey := map[string][]incoming{}
	var order []string
	for _, msg := range batch {
		if len(msg) == 0 {
			n.stats.dropped(ErrBadMessage)
			continue
		}
		switch msg[0] {
		case msgDelta, msgState:
			kp, err := decodeKeyPayload(msg[1:], store.MaxKeyLen)
			if err == nil {
				err = store.ValidateKey(kp.key)
			}
			if err != nil {
				n.stats.dropped(fmt.Errorf("%w: %w", ErrBadMessage, err))
				continue
			}
			remote, err := n.codec.Unmarshal(kp.payload, n.replica)
			if err != nil {
				n.stats.dropped(err)
				continue
			}
			if cur, ok := n.typeOf(kp.key); ok && cur != remote.TypeName() {
				n.stats.dropped(fmt.Errorf("%w: key %q holds %s, received %s", crdt.ErrTypeMismatch, kp.key, cur, remote.TypeName()))
				continue
			}
			if len(byKey[kp.key]) > 0 && byKey[kp.key][0].state.TypeName() != remote.TypeName() {
				n.stats.dropped(crdt.ErrTypeMismatch)
				continue
			}
			if _, seen := byKey[kp.key]; !seen {
				order = append(order, kp.key)
			}
			byKey[kp.key] = append(byKey[kp.key], incoming{state: remote, msg: msg})
		default:
			n.stats.dropped(ErrBadMessage)
		}
	}
	for _, key := range order {
		in := byKey[key]
		changed, err := n.mergeIncoming(key, in)
		if err != nil {
			for range in {
				n.stats.dropped(err)
			}
			continue
		}
		n.stats.merged.Add(uint64(len(in)))
		if !changed {
			continue
		}
		// Pass news on: gossip reaches the whole cluster even when the
		// writer's own retransmissions miss some nodes.
		for _, x := range in {
			if x.msg[0] == msgDelta {
				n.broadcast(x.msg)
			}
		}
	}
}

// recent reports whether e changed within the quiet window, so that deltas
// about it may still be spreading. n.mu is held.
func (n *Node) recent(e *entry, now time.Time) bool {
	return n.quiet > 0 && now.Sub(e.changed) < n.quiet
}

// holdBack decides whether anti-entropy skips sending e's state this time
// because deltas are likely still carrying the change: a push/pull that
// lands while a delta spreads would otherwise ship the whole state for a
// difference a few hundred bytes of delta repair. It holds a key back for at
// most three quiet windows in a row, so a key written without pause, or one
// whose deltas were lost, is still repaired.
func (n *Node) holdBack(e *entry, now time.Time) bool {
	t := now.UnixNano()
	first, last := e.deferredFirst.Load(), e.deferredLast.Load()
	if last == 0 || t-last > int64(2*n.quiet) {
		first = t // a new episode
	}
	if t-first >= int64(3*n.quiet) {
		e.deferredFirst.Store(0)
		e.deferredLast.Store(0)
		return false
	}
	e.deferredFirst.Store(first)
	e.deferredLast.Store(t)
	return true
}

// answerKeys returns the keys, in the buckets d lists, whose state the
// peer that sent d lacks or holds differently, leaving out those that
// anti-entropy holds back this time.
func (n *Node) answerKeys(d digestsMsg) []string {
	theirs := make(map[string]digest, len(d.keys))
	recent := make(map[string]bool)
	for _, k := range d.keys {
		theirs[k.key] = k.sum
		if k.recent {
			recent[k.key] = true
		}
	}
	var send []string
	now := time.Now()
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, b := range d.buckets {
		for key, e := range n.byBucket[b] {
			sum, ok := theirs[key]
			if ok && sum == e.sum {
				continue
			}
			if (recent[key] || n.recent(e, now)) && n.holdBack(e, now) {
				n.stats.antiEntropyDeferred.Add(1)
				continue
			}
			send = append(send, key)
		}
	}
	slices.Sort(send)
	return send
}

// broadcast queues msg for gossip, or queues a TCP send of it to every
// member when it is too large for a gossip packet: memberlist's queue would
// otherwise skip it silently forever. It never waits for the network.
func (n *Node) broadcast(msg []byte) {
	if len(msg) <= n.maxGossip {
		n.queue.QueueBroadcast(&broadcast{msg: msg})
		return
	}
	n.stats.oversized.Add(1)
	if len(msg) > n.maxTransfer {
		// Only a merge can get here (Update refuses such states), and
		// anti-entropy cannot carry the state either: count it.
		n.stats.tooLarge.Add(1)
		return
	}
	for _, m := range n.livePeers() {
		n.enqueue(sendJob{kind: jobDelta, peer: m.Name, msg: msg})
	}
}

// stateMsgSize is the size of the message carrying key's state p.
func stateMsgSize(key string, p []byte) int {
	return 1 + binary.MaxVarintLen64 + len(key) + len(p)
}

// fullStateSize returns the size msg, a delta message, would have had if it
// carried its key's whole current state instead of the delta.
func (n *Node) fullStateSize(msg []byte) int {
	kp, err := decodeKeyPayload(msg[1:], store.MaxKeyLen)
	if err != nil {
		return len(msg)
	}
	size := len(kp.payload)
	n.mu.RLock()
	if e, ok := n.entries[kp.key]; ok {
		size = e.size
	}
	n.mu.RUnlock()
	return len(msg) - len(kp.payload) + size
}

type broadcast struct{ msg []byte }

func (b *broadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b *broadcast) Message() []byte                       { return b.msg }
func (b *broadcast) Finished()                             {}

// delegate is the node's face towards memberlist.
type delegate Node

func (d *delegate) NodeMeta(limit int) []byte { return nil }

// NotifyMsg receives a gossip or reliable message. memberlist reuses buf, so
// it is copied; it must not block, so a full inbox, by count or by bytes,
// drops the message (counted; anti-entropy repairs what it carried).
func (d *delegate) NotifyMsg(buf []byte) {
	n := (*Node)(d)
	if len(buf) == 0 {
		n.stats.dropped(ErrBadMessage)
		return
	}
	max := n.codec.Limits.MaxBytes
	if max <= 0 {
		max = payload.DefaultMaxBytes
	}
	if len(buf) > max+store.MaxKeyLen+16 {
		n.stats.dropped(payload.ErrTooLarge)
		return
	}
	if buf[0] == msgDigests {
		n.askedForStates(buf)
		return
	}
	if !n.reserve(len(buf)) {
		n.stats.inboxBytesFull.Add(1)
		return
	}
	msg := bytes.Clone(buf)
	select {
	case n.inbox <- msg:
		n.stats.received.Add(1)
	default:
		n.release(len(msg))
		n.stats.inboxFull.Add(1)
	}
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	n := (*Node)(d)
	msgs := n.queue.GetBroadcasts(overhead, limit)
	for _, m := range msgs {
		n.stats.deltaBytesSent.Add(uint64(len(m)))
		n.stats.fullStateBytes.Add(uint64(n.fullStateSize(m)))
	}
	return msgs
}

// LocalState offers this node's bucket hashes for push/pull anti-entropy.
func (d *delegate) LocalState(join bool) []byte {
	n := (*Node)(d)
	p := pushPull{from: n.cfg.Name}
	n.mu.RLock()
	p.buckets = n.buckets
	n.mu.RUnlock()
	b := p.append(make([]byte, 0, 8+len(p.from)+numBuckets*digestSize))
	n.stats.digestBytesSent.Add(uint64(len(b)))
	return b
}

// MergeRemoteState compares a peer's bucket hashes with this node's and, for
// the buckets that differ, sends the peer this node's key digests; the peer
// answers with the states this node lacks, and does the same in turn.
func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	n := (*Node)(d)
	p, err := decodePushPull(buf, 512)
	if err != nil {
		n.stats.dropped(err)
		return
	}
	if p.from == n.cfg.Name {
		return
	}
	if n.member(p.from) == nil {
		n.stats.notMember.Add(1)
		return
	}
	if n.inboxBusy() && n.skippedRounds.Add(1) <= maxSkippedRounds {
		// Received deltas are still waiting to be merged; comparing now
		// would ship full states for differences those deltas repair.
		// Only a few rounds in a row, though: a flood that keeps the
		// inbox busy must not stop repair.
		n.stats.antiEntropySkipped.Add(1)
		return
	}
	n.skippedRounds.Store(0)
	msg := digestsMsg{from: n.cfg.Name}
	now := time.Now()
	n.mu.RLock()
	for b := range numBuckets {
		if p.buckets[b] == n.buckets[b] {
			continue
		}
		msg.buckets = append(msg.buckets, uint16(b))
		for key, e := range n.byBucket[b] {
			msg.keys = append(msg.keys, keyDigest{key: key, sum: e.sum, recent: n.recent(e, now)})
		}
	}
	n.mu.RUnlock()
	if len(msg.buckets) == 0 {
		return
	}
	out := msg.append(nil)
	if n.enqueue(sendJob{kind: jobDigests, peer: p.from, msg: out}) {
		n.stats.digestBytesSent.Add(uint64(len(out)))
	}
}

// askedForStates queues the answer to a peer's digests message. Only a live
// member gets one, at the address the membership layer knows for it, and
// at most one at a time: a forged request can neither aim the node at an
// address of its choice nor multiply its work.
func (n *Node) askedForStates(buf []byte) {
	from, _, err := readString(buf[1:], store.MaxKeyLen)
	if err != nil {
		n.stats.dropped(err)
		return
	}
	if from == n.cfg.Name || n.member(from) == nil {
		n.stats.notMember.Add(1)
		return
	}
	if !n.reserve(len(buf)) {
		n.stats.inboxBytesFull.Add(1)
		return
	}
	n.stats.received.Add(1)
	if !n.enqueue(sendJob{kind: jobAnswer, peer: from, msg: bytes.Clone(buf), held: len(buf)}) {
		n.release(len(buf))
	}
}
