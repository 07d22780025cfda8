package idempotency

import (
	"errors"
	"hash/maphash"
	"math/bits"
	"sync"
	"time"
)

// ErrStoreFull is returned by a bounded [MemoryStore] when a new claim or
// record does not fit and nothing can be evicted: every entry left in the
// way is a live in-flight claim.
var ErrStoreFull = errors.New("idempotency: memory store is full")

// ErrStoreClosed is returned by a [MemoryStore] after Close.
var ErrStoreClosed = errors.New("idempotency: memory store is closed")

// MemoryOptions configures a [MemoryStore] made by [NewMemoryStoreWith].
// Negative values count as zero.
type MemoryOptions struct {
	// TTL is how long a response is kept when its record carries no expiry
	// of its own. Zero means DefaultTTL.
	TTL time.Duration
	// MaxEntries caps the keys held, completed and in flight together.
	// Zero means no cap.
	MaxEntries int
	// MaxBytes caps the memory charged to entries: key, fingerprint, body
	// and headers plus a fixed per-entry amount (see [MemoryStats.Bytes]).
	// Zero means no cap.
	MaxBytes int64
	// Shards is the number of independently locked parts, rounded up to a
	// power of two. Zero picks 128, or fewer when a small cap would leave
	// each shard too little room. Caps are split evenly between shards, so
	// a shard can fill up slightly before the whole store does.
	Shards int
	// SweepInterval, when positive, starts one janitor goroutine that
	// reclaims expired entries at that interval, so an idle store gives
	// memory back. Without it, expired entries are reclaimed as writes
	// arrive (each write reclaims up to two from its shard) and they are
	// never returned in the meantime. Close stops the janitor.
	SweepInterval time.Duration
	// Clock replaces time.Now, for tests.
	Clock func() time.Time
}

// MemoryStore implements Store using in-memory storage
//
// It also implements [ClaimStore] over the same keys: Lock is a claim
// whose token stays inside the store, Set stores a completed record and Get
// returns completed, unexpired records only.
//
// The store is split into shards, each with its own lock, so requests on
// different keys rarely wait for each other. With MaxEntries or MaxBytes
// set, a full shard evicts completed records, the one nearest its expiry
// first (the oldest, when all records share a TTL); it never evicts a live
// in-flight claim, and answers ErrStoreFull when nothing else is left.
// An evicted key is forgotten: a retry with it runs the handler again.
//
// A claim's lease runs on the monotonic clock, so stepping the wall clock
// neither ends nor extends it. A claim whose lease ended is kept for the
// store's TTL, so that the next Claim reports TakenOver, unless room is
// needed first. Lock holds a key for the store's TTL at most.
//
// The store keeps the Header and Body of a record handed to Complete
// without copying them, and a Record returned by Claim is shared between
// callers: neither may be modified afterwards.
type MemoryStore struct {
	ttl       time.Duration
	shards    []shard
	mask      uint64
	seed      maphash.Seed
	clock     func() time.Time
	base      time.Time // origin of the monotonic lease clock
	tok       tokenCodec
	isDefault bool

	closeOnce   sync.Once
	stop        chan struct{}
	janitorDone chan struct{}
}

// defaultShards balances lock spreading against the fixed cost of a shard.
const defaultShards = 128

// Caps are split between shards; below these shares per shard the store
// uses fewer shards so that each still holds a useful number of entries.
const (
	minEntriesPerShard = 32
	minBytesPerShard   = 1 << 20
)

// NewMemoryStore creates a new in-memory idempotency store
//
// ttl is the store's TTL (DefaultTTL when ttl <= 0). The store is
// unbounded and runs no goroutine; see [NewMemoryStoreWith] for caps.
func NewMemoryStore(ttl time.Duration) *MemoryStore {
	return NewMemoryStoreWith(MemoryOptions{TTL: ttl})
}

// NewMemoryStoreWith creates a MemoryStore configured by opts. Call Close
// when done with it if opts.SweepInterval is set, to stop its janitor.
func NewMemoryStoreWith(opts MemoryOptions) *MemoryStore {
	s := &MemoryStore{ttl: opts.TTL, seed: maphash.MakeSeed(), clock: opts.Clock, tok: newTokenCodec()}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.base = s.clock()
	n := shardCount(opts)
	s.shards = make([]shard, n)
	s.mask = uint64(n - 1)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.ttl = int64(s.ttl)
		sh.ctr, sh.step = uint64(i), uint64(n)
		if opts.MaxEntries > 0 {
			sh.maxEntries = opts.MaxEntries / n
		}
		if opts.MaxBytes > 0 {
			sh.maxBytes = opts.MaxBytes / int64(n)
		}
	}
	if opts.SweepInterval > 0 {
		s.stop = make(chan struct{})
		s.janitorDone = make(chan struct{})
		go s.janitor(opts.SweepInterval)
	}
	return s
}

func shardCount(opts MemoryOptions) int {
	n := defaultShards
	if opts.Shards > 0 {
		n = opts.Shards
	}
	if opts.MaxEntries > 0 {
		n = min(n, max(1, opts.MaxEntries/minEntriesPerShard))
	}
	if opts.MaxBytes > 0 {
		n = min(n, int(max(1, opts.MaxBytes/minBytesPerShard)))
	}
	n = min(n, 1<<16)
	// Round up to a power of two so a mask picks the shard; with a cap, round
	// down instead so each shard's share never shrinks below the minimum.
	p := 1 << bits.Len(uint(n-1))
	if p > n && (opts.MaxEntries > 0 || opts.MaxBytes > 0) {
		p >>= 1
	}
	return p
}

var defaultMemoryStore = sync.OnceValue(func() *MemoryStore {
	s := NewMemoryStore(DefaultTTL)
	s.isDefault = true
	return s
})

// GetDefaultStore returns the default idempotency store
//
// It is one unbounded MemoryStore with DefaultTTL, shared by the whole
// process and created on first use. It runs no goroutine and cannot be
// closed.
func GetDefaultStore() *MemoryStore {
	return defaultMemoryStore()
}

// TTL is how long the store keeps a record whose ExpiresAt is unset.
func (s *MemoryStore) TTL() time.Duration { return s.ttl }

// Close stops the janitor, if any, and drops every entry. Afterwards the
// ClaimStore methods return ErrStoreClosed, Get and Lock report false, and
// Set, Delete and Unlock do nothing. Closing twice is harmless. The store
// returned by GetDefaultStore refuses to close.
func (s *MemoryStore) Close() error {
	if s.isDefault {
		return errors.New("idempotency: the default store is shared by the whole process and cannot be closed")
	}
	s.closeOnce.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.janitorDone
		}
		for i := range s.shards {
			s.shards[i].close()
		}
	})
	return nil
}

// MemoryStats describes a MemoryStore at one moment.
type MemoryStats struct {
	// Entries counts the keys held, completed and in flight.
	Entries int
	// InFlight counts the keys held by a claim or a Lock.
	InFlight int
	// Bytes is the memory charged against MaxBytes: key, fingerprint,
	// body, header names and values, plus estimates for the structures
	// that hold them (256 bytes an entry, about 400 a header map). It runs
	// somewhat above the live heap the entries really take.
	Bytes int64
	// Evictions counts records removed before their expiry to make room.
	Evictions uint64
	// Expired counts expired records and stale claims reclaimed.
	Expired uint64
}

// Stats sums the shards' counters; each shard is read under its own lock,
// so the total is not one atomic snapshot.
func (s *MemoryStore) Stats() MemoryStats {
	var st MemoryStats
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		st.Entries += sh.ix.n
		st.InFlight += len(sh.live)
		st.Bytes += sh.bytes
		st.Evictions += sh.evictions
		st.Expired += sh.expired
		sh.mu.Unlock()
	}
	return st
}

// shardFor returns key's shard and the hash bits that place it in the
// shard's index; the low bits picked the shard, so the index uses the high.
func (s *MemoryStore) shardFor(key string) (*shard, uint32) {
	h := maphash.String(s.seed, key)
	return &s.shards[h&s.mask], uint32(h >> 32)
}

// now returns wall-clock Unix nanoseconds, for record expiry, and
// nanoseconds on the store's monotonic clock, for leases, which must not
// move when the wall clock is stepped.
func (s *MemoryStore) now() (t time.Time, wall, mono int64) {
	t = s.clock()
	return t, unixNano(t), int64(t.Sub(s.base))
}

func (s *MemoryStore) janitor(every time.Duration) {
	defer close(s.janitorDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweepAll()
		}
	}
}

// sweepAll reclaims everything expired, in batches so that no shard stays
// locked for long.
func (s *MemoryStore) sweepAll() {
	const batch = 256
	for i := range s.shards {
		sh := &s.shards[i]
		for {
			_, wall, mono := s.now()
			sh.mu.Lock()
			n := sh.sweep(wall, mono, batch)
			sh.mu.Unlock()
			if n < batch {
				break
			}
		}
	}
}
