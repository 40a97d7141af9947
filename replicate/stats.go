package replicate

import (
	"errors"
	"sync/atomic"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
)

// Stats counts what a node has sent, received and dropped since it started.
type Stats struct {
	// LocalUpdates is the number of local mutations applied.
	LocalUpdates uint64
	// DeltaBytesSent is the bytes of delta messages handed to the network
	// (every gossip transmission and every TCP fallback send).
	DeltaBytesSent uint64
	// FullStateBytes is what the same transmissions would have cost had each
	// carried its key's whole current state instead of a delta, as
	// state-based gossip without deltas does: compare it with
	// DeltaBytesSent.
	FullStateBytes uint64
	// StatesSent and StateBytesSent count full states sent by anti-entropy.
	StatesSent     uint64
	StateBytesSent uint64
	// DigestBytesSent is the bytes of push/pull bucket hashes and key
	// digests sent by anti-entropy.
	DigestBytesSent uint64
	// OversizedDeltas is the number of deltas too large for a gossip packet,
	// sent over TCP instead.
	OversizedDeltas uint64
	// Received is the number of messages accepted into the inbox; Merged of
	// them merged without error.
	Received uint64
	Merged   uint64
	// Dropped counts received messages that were not merged, by cause:
	// malformed framing, payloads that failed to decode (including those over
	// the size limit), unknown types, keys holding another type, and
	// messages that found the inbox full.
	DroppedMalformed   uint64
	DroppedInvalid     uint64
	DroppedUnknownType uint64
	DroppedTypeClash   uint64
	DroppedInboxFull   uint64
	// DroppedInboxBytes counts messages dropped because the bytes waiting in
	// the inbox would have exceeded Config.InboxBytes.
	DroppedInboxBytes uint64
	// DroppedInflate counts compressed messages and packets refused
	// because they would inflate beyond the node's bound (what it accepts
	// in one message, plus room for memberlist's headers; one datagram's
	// worth for a packet), nest compression, or are not framed as
	// memberlist frames them. StreamsRefused counts inbound TCP streams
	// closed because Config.InboundStreams others were being served for
	// the whole wait.
	DroppedInflate uint64
	StreamsRefused uint64
	// DroppedNotMember counts anti-entropy requests (push/pull states and
	// digests messages) from a name that is not a live member, and sends
	// whose peer was no longer a live member when their turn came: the node
	// answers only members, at the address the membership layer knows.
	DroppedNotMember uint64
	// SendsCoalesced counts anti-entropy answers and digests not queued
	// because one for the same peer was already queued or running;
	// SendQueueFull counts sends dropped because the send queue was full;
	// SendsAbandoned counts answers cut short by a failed send or by
	// Config.SendTimeout. Anti-entropy repairs what they would have carried.
	SendsCoalesced uint64
	SendQueueFull  uint64
	SendsAbandoned uint64
	// SendErrors counts failed TCP sends; anti-entropy repairs what they
	// carried. StoreErrors counts received states the backend refused.
	SendErrors  uint64
	StoreErrors uint64
	// TooLargeToSend counts states and deltas not sent because they exceed
	// the 20 MiB memberlist accepts in one TCP message. Local updates cannot
	// grow a state that far (they fail with ErrStateTooLarge), but merges of
	// concurrent updates can; such a key cannot converge by anti-entropy.
	TooLargeToSend uint64
	// AntiEntropyDeferred counts keys whose state anti-entropy held back
	// because they had changed lately (see Config.AntiEntropyQuiet).
	AntiEntropyDeferred uint64
	// AntiEntropySkipped counts push/pull rounds not acted on because
	// received messages were still waiting to be merged.
	AntiEntropySkipped uint64
	// Reconnects counts successful joins of members that had failed.
	Reconnects uint64
	// CorruptAtStart is the number of stored records that did not decode
	// when the node started; they are left untouched.
	CorruptAtStart uint64
}

type counters struct {
	localUpdates, deltaBytesSent, fullStateBytes, statesSent, stateBytesSent                     atomic.Uint64
	digestBytesSent, oversized, received, merged                                                 atomic.Uint64
	malformed, invalid, unknownType, typeClash, inboxFull                                        atomic.Uint64
	sendErrors, storeErrors, corruptAtStart, reconnects, antiEntropySkipped, antiEntropyDeferred atomic.Uint64
	tooLarge                                                                                     atomic.Uint64
	notMember, sendsCoalesced, sendQueueFull, sendsAbandoned, inboxBytesFull                     atomic.Uint64
	inflateRefused, streamsRefused                                                               atomic.Uint64
}

func (c *counters) dropped(err error) {
	switch {
	case errors.Is(err, ErrBadMessage):
		c.malformed.Add(1)
	case errors.Is(err, payload.ErrUnknownType):
		c.unknownType.Add(1)
	case errors.Is(err, crdt.ErrTypeMismatch):
		c.typeClash.Add(1)
	default:
		c.invalid.Add(1)
	}
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	c := &n.stats
	return Stats{
		LocalUpdates: c.localUpdates.Load(), DeltaBytesSent: c.deltaBytesSent.Load(),
		FullStateBytes: c.fullStateBytes.Load(), StatesSent: c.statesSent.Load(),
		StateBytesSent: c.stateBytesSent.Load(), DigestBytesSent: c.digestBytesSent.Load(),
		OversizedDeltas: c.oversized.Load(), Received: c.received.Load(), Merged: c.merged.Load(),
		DroppedMalformed: c.malformed.Load(), DroppedInvalid: c.invalid.Load(),
		DroppedUnknownType: c.unknownType.Load(), DroppedTypeClash: c.typeClash.Load(),
		DroppedInboxFull: c.inboxFull.Load(), SendErrors: c.sendErrors.Load(),
		StoreErrors: c.storeErrors.Load(), TooLargeToSend: c.tooLarge.Load(), CorruptAtStart: c.corruptAtStart.Load(), Reconnects: c.reconnects.Load(), AntiEntropySkipped: c.antiEntropySkipped.Load(), AntiEntropyDeferred: c.antiEntropyDeferred.Load(),
		DroppedInboxBytes: c.inboxBytesFull.Load(), DroppedInflate: c.inflateRefused.Load(), StreamsRefused: c.streamsRefused.Load(), DroppedNotMember: c.notMember.Load(), SendsCoalesced: c.sendsCoalesced.Load(),
		SendQueueFull: c.sendQueueFull.Load(), SendsAbandoned: c.sendsAbandoned.Load(),
	}
}
