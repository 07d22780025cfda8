package idempotency

import (
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// ErrStoreFull is returned (wrapped) by a bounded [MemoryStore] when a new
// claim or record does not fit and nothing can be evicted: every entry left
// in the way is a live in-flight claim. Other stores may return it when
// they run out of room. The middleware answers a Claim that fails with it
// with a 503 saying the store is full, and a Complete by storing the
// response without its body; a record that could never fit gives
// [ErrRecordTooLarge] instead.
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
	// and headers as stored plus a fixed per-entry amount (see
	// [MemoryStats.Bytes]). Zero means no cap.
	MaxBytes int64
	// MaxResponseBody is the largest response body the store must hold:
	// set it to the [WithMaxResponseBody] of the middlewares using the
	// store. Zero means [DefaultMaxResponseBody]. With MaxBytes, the store
	// uses few enough shards that each shard's share of MaxBytes holds two
	// records of this size, their keys and headers included (only a store
	// whose MaxBytes is smaller than that holds less). A record that does
	// not fit its shard gets [ErrRecordTooLarge] from Complete, and the
	// middleware stores that response as status and headers only.
	MaxResponseBody int64
	// Shards is the number of independently locked parts, rounded up to a
	// power of two. Zero picks 128. With a cap, the store uses fewer (a
	// power of two rounded down) when more would leave a shard less than
	// 32 entries, 1 MiB, or room for two records of MaxResponseBody. Caps
	// are split evenly between shards, so a shard can fill up slightly
	// before the whole store does.
	Shards int
	// SweepInterval, when positive, starts one janitor goroutine that
	// reclaims expired entries at that interval, so an idle store gives
	// memory back. Without it, expired entries are reclaimed as writes
	// arrive (each write reclaims up to two from its shard) and they are
	// never returned in the meantime. Close stops the janitor.
	SweepInterval time.Duration
	// OnEvict, when set, is called once for each completed record that a
	// bounded store evicts before its expiry to make room (the records
	// [MemoryStats.Evictions] counts), with an [Event] whose Outcome is
	// [OutcomeEvicted]; a retry with that key runs its handler again. Pass
	// it the function given to [WithObserver] to see evictions among the
	// middleware's outcomes. The Event's Key is the store's key (for the
	// middleware, a hash of the operation, the scope and the client's key),
	// Status is the record's status and Elapsed its age; Method and Route
	// are empty. It runs on the goroutine whose write made room, after the
	// store's lock is released, so it may call the store; it must be fast.
	OnEvict func(Event)

	// clock replaces time.Now. Only this package's tests set it (through
	// export_test.go for the external ones): a store's clock is no option
	// for its users.
	clock func() time.Time
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
// An evicted key is forgotten: a retry with it runs the handler again
// (MemoryOptions.OnEvict reports each eviction). A record larger than its
// shard's share of MaxBytes is refused with ErrRecordTooLarge without
// evicting anything.
//
// A claim's lease runs on the monotonic clock, so stepping the wall clock
// neither ends nor extends it. A claim whose lease ended is kept for the
// store's TTL, so that the next Claim reports TakenOver, unless room is
// needed first. Lock holds a key for the store's TTL at most.
//
// Records are kept as bytes in large per-shard slabs, with tables that
// hold no pointers, so that a store of millions of entries gives the
// garbage collector a handful of objects to visit rather than several per
// entry. Complete and Set copy the Header and Body they are given, which
// the caller may reuse afterwards. A Record returned by Claim is decoded
// into memory of its own, which the store never writes again, but the
// last few decoded per shard are kept for repeated replays and shared
// between callers: it must not be modified.
type MemoryStore struct {
	ttl       time.Duration
	shards    []shard
	mask      uint64
	seed      maphash.Seed
	clock     func() time.Time
	base      time.Time // origin of the monotonic lease clock
	tok       tokenCodec
	isDefault bool
	onEvict   func(Event) // MemoryOptions.OnEvict; nil means none

	closeOnce   sync.Once
	stop        chan struct{}
	janitorDone chan struct{}
}

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
	s := &MemoryStore{ttl: opts.TTL, seed: maphash.MakeSeed(), clock: opts.clock, tok: newTokenCodec(), onEvict: opts.OnEvict}
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
		sh.records, sh.claims = newSlab(), newSlab()
		sh.ttl = int64(s.ttl)
		sh.ctr, sh.step = uint64(i), uint64(n)
		if opts.MaxEntries > 0 {
			sh.maxEntries = opts.MaxEntries / n
		}
		if opts.MaxBytes > 0 {
			sh.maxBytes = opts.MaxBytes / int64(n)
		}
		if s.onEvict != nil {
			sh.evs = new([]Event)
		}
	}
	if opts.SweepInterval > 0 {
		s.stop = make(chan struct{})
		s.janitorDone = make(chan struct{})
		go s.janitor(opts.SweepInterval)
	}
	return s
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
	// Bytes is the memory charged against MaxBytes: each entry's bytes in
	// its slab (key, fingerprint, body, the header fields its shard has
	// not interned, a few bytes of framing; a chunk of its own for a large
	// record is whole pages) plus 96 for its place in the tables and its
	// share of the slabs' free room. It stays within a few percent of the
	// live heap the entries take.
	Bytes int64
	// Evictions counts records removed before their expiry to make room,
	// each one reported to MemoryOptions.OnEvict.
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

// report hands evictions collected under a shard lock to OnEvict, once the
// lock is released.
func (s *MemoryStore) report(evs []Event) {
	for _, ev := range evs {
		s.onEvict(ev)
	}
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
