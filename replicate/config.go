package replicate

import (
	"errors"
	"io"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/crdtkit/crdtkit/crdt"
	"github.com/crdtkit/crdtkit/payload"
	"github.com/crdtkit/crdtkit/store"
)

// ErrConfig is wrapped by errors about an unusable [Config].
var ErrConfig = errors.New("replicate: bad config")

// Config configures a [Node]. Name and Backend are required; everything else
// has a default.
type Config struct {
	// Name is the node's name in the cluster's membership. It must be unique
	// in the cluster. It is not the CRDT replica id.
	Name string

	// Backend persists the node's states and its replica id. The node owns it
	// and closes it in [Node.Close]. Every local mutation is durable in it
	// before [Node.Update] returns.
	Backend store.Backend

	// Replica is the node's CRDT replica id. When empty, the id stored in
	// Backend is used, and on a node's very first start a new one is made
	// with [crdt.NewReplicaID] and stored, so it stays the same across
	// restarts. A Replica that differs from the stored one is an error.
	Replica crdt.ReplicaID

	// BindAddr and BindPort are where the node listens for gossip (UDP) and
	// state transfer (TCP). The defaults are 127.0.0.1 and 0, which picks a
	// free port ([Node.Addr] tells which).
	BindAddr string
	BindPort int

	// AdvertiseAddr and AdvertisePort, if set, are the address other nodes
	// use to reach this one (behind NAT, or when binding 0.0.0.0).
	AdvertiseAddr string
	AdvertisePort int

	// Join lists addresses ("host:port") of nodes to join at start. A node
	// with an empty Join starts a new cluster.
	Join []string

	// SecretKey, when set, encrypts all gossip and state transfer with AES-GCM;
	// it must be 16, 24 or 32 bytes, the same on every node.
	SecretKey []byte

	// Label, when set, is sent with every message; messages with another
	// label are rejected by the membership layer, so clusters sharing a
	// network stay apart.
	Label string

	// Memberlist is the base membership configuration for tuning (gossip and
	// push/pull intervals, packet size, transport). Nil means
	// memberlist.DefaultLANConfig. The node overrides its Name, Delegate,
	// bind and advertise addresses, SecretKey and Label from the fields above.
	Memberlist *memberlist.Config

	// Codec decodes payloads received from other nodes and read from the
	// backend; its Limits bound everything received. The zero Codec uses the
	// default registry and limits.
	Codec payload.Codec

	// LogOutput receives the membership layer's log (default: discarded).
	LogOutput io.Writer

	// InboxSize is how many received messages may wait to be merged (default
	// 4096). Messages beyond it are dropped and counted; anti-entropy repairs
	// what they carried.
	InboxSize int

	// InboxBytes bounds the bytes of received messages waiting to be merged
	// or answered (default 64 MiB). Messages beyond it are dropped and
	// counted in [Stats].DroppedInboxBytes; anti-entropy repairs what they
	// carried. A message larger than InboxBytes is never accepted, so keep it
	// above the largest state the cluster sends (at most 20 MiB).
	InboxBytes int

	// ReconnectInterval is how often the node tries to join again members
	// that the failure detector declared dead, as happens to the far side
	// of a partition (default: the push/pull interval, at least 1s).
	// ReconnectTimeout is how long it keeps trying (default 24h). Members
	// that leave on purpose are not retried.
	ReconnectInterval time.Duration
	ReconnectTimeout  time.Duration

	// AntiEntropyQuiet is how long after a key changes anti-entropy leaves
	// it to the deltas that are spreading the change, instead of shipping
	// the whole state to peers whose digest differs (default: the push/pull
	// interval; negative: never wait). A key is held back for at most three
	// such windows in a row, so keys written without pause and keys whose
	// deltas were lost are still repaired.
	AntiEntropyQuiet time.Duration

	// WriteTimeout bounds each merge-write of a received state into the
	// backend (default 10s).
	WriteTimeout time.Duration

	// SendWorkers is how many TCP sends (anti-entropy answers and digests,
	// deltas too large for gossip) run at once (default 2), SendQueue how
	// many may wait (default 256; more are dropped and counted in
	// [Stats].SendQueueFull, and anti-entropy repairs what they carried).
	// Sends run apart from the merge loop and from Update, so a peer that
	// never answers delays only other sends.
	SendWorkers int
	SendQueue   int

	// InboundStreams is how many inbound TCP streams (push/pull, states,
	// digests) the node serves at once (default 4); another waits up to the
	// membership layer's TCPTimeout for its turn, then is closed and counted
	// in [Stats].StreamsRefused. Each stream may hold a message of up to
	// 20 MiB, so this bounds what slow or hostile senders can make the node
	// buffer.
	InboundStreams int

	// SendTimeout bounds one send job: an anti-entropy answer stops sending
	// states to its peer once it has run this long (default: three times the
	// membership layer's TCPTimeout, which bounds each single send).
	SendTimeout time.Duration
}

func (c *Config) withDefaults() (Config, error) {
	cfg := *c
	if cfg.Name == "" {
		return cfg, errors.Join(ErrConfig, errors.New("replicate: Name is required"))
	}
	if cfg.Backend == nil {
		return cfg, errors.Join(ErrConfig, errors.New("replicate: Backend is required"))
	}
	switch len(cfg.SecretKey) {
	case 0, 16, 24, 32:
	default:
		return cfg, errors.Join(ErrConfig, errors.New("replicate: SecretKey must be 16, 24 or 32 bytes"))
	}
	if cfg.BindAddr == "" {
		cfg.BindAddr = "127.0.0.1"
	}
	if cfg.InboxSize <= 0 {
		cfg.InboxSize = 4096
	}
	if cfg.InboxBytes <= 0 {
		cfg.InboxBytes = 64 << 20
	}
	if cfg.InboundStreams <= 0 {
		cfg.InboundStreams = 4
	}
	if cfg.SendWorkers <= 0 {
		cfg.SendWorkers = 2
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = 256
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.ReconnectInterval <= 0 {
		cfg.ReconnectInterval = 30 * time.Second
		if cfg.Memberlist != nil && cfg.Memberlist.PushPullInterval > 0 {
			cfg.ReconnectInterval = max(cfg.Memberlist.PushPullInterval, time.Second)
		}
	}
	if cfg.ReconnectTimeout <= 0 {
		cfg.ReconnectTimeout = 24 * time.Hour
	}
	if cfg.LogOutput == nil {
		cfg.LogOutput = io.Discard
	}
	return cfg, nil
}

// FastMemberlistConfig returns a membership configuration tuned for a small
// cluster on one machine or a fast LAN: gossip every 20ms and push/pull every
// second. Failure detection stays patient (probe every second, 500ms to
// answer), because a busy machine that misses a probe gets a healthy node
// declared dead and rejoined, which costs more than it saves. It suits tests
// and demos; production clusters should start from memberlist.DefaultLANConfig
// or DefaultWANConfig.
func FastMemberlistConfig() *memberlist.Config {
	c := memberlist.DefaultLocalConfig()
	c.GossipInterval = 20 * time.Millisecond
	c.PushPullInterval = time.Second
	c.ProbeInterval = time.Second
	c.ProbeTimeout = 500 * time.Millisecond
	c.SuspicionMult = 4
	// A restarted node comes back under its old name at a new port;
	// let it reclaim the name as soon as the old incarnation is dead.
	c.DeadNodeReclaimTime = time.Second
	return c
}
