package idempotency

import (
	"math"
	"math/bits"
	"sync"
	"time"
	"unsafe"
)

type entryState uint8

const (
	stateClaimed entryState = iota + 1 // in flight, owned by a Claim token
	stateLocked                        // in flight, held through the seed Lock
	stateDone                          // completed record
)

// meta is what a shard knows of one entry beside its bytes in the slab:
// where those are, its state, times and status. It holds no pointer, so a
// table of a million metas is one object the garbage collector need not
// look inside. Times are Unix nanoseconds.
type meta struct {
	// aux is, in flight, the owner's token number and, completed, the
	// record's CreatedAt.
	aux int64
	// deadline is, in flight, the lease end on the store's monotonic clock
	// and, completed, the expiry.
	deadline int64
	chunk    uint32 // the record's place in the slab
	off      uint32
	n        uint32 // the record's length; 0 while the number is unused
	hash     uint32 // the key's hash bits that place it in the index
	heapIdx  int32  // position in the shard's heap for its state
	status   int32
	state    entryState
	omitted  bool
}

// shardState is one independently locked part of a MemoryStore. Entries
// are numbers into metas, so the index, the heaps and the table hold no
// pointers; their keys, fingerprints, headers and bodies are bytes in a
// slab: records for completed entries, claims for those in flight, which
// come and go quickly, so that their short lives leave no holes among the
// long-lived records.
type shardState struct {
	mu      sync.Mutex
	ix      index
	metas   metaTable
	free    []uint32 // unused entry numbers
	records slab
	claims  slab
	hdr     *headerTable // nil until a record has a header
	cache   *replayCache // nil until the first replay
	field   []byte       // scratch: one header field's encoding
	header  []byte       // scratch: a record's header section
	closed  bool
	// done holds completed entries by expiry, so the next to expire (the
	// oldest, with one TTL) is both the first reclaimed and the first
	// evicted. live holds in-flight entries by lease end.
	done, live entryHeap

	bytes      int64
	maxBytes   int64
	maxEntries int
	ttl        int64 // stale claims are kept this long past their lease
	// ctr is the last owner token's number. Shard i issues i+n, i+2n, ...
	// (n shards), so numbers never repeat across the whole store.
	ctr, step uint64
	evictions uint64
	expired   uint64
	// evs collects evictions for MemoryOptions.OnEvict, to be reported
	// once the lock is released; nil without a hook.
	evs *[]Event
}

// shard pads shardState to whole cache lines, so neighbours' locks never
// share one.
type shard struct {
	shardState
	_ [(64 - unsafe.Sizeof(shardState{})%64) % 64]byte
}

func (sh *shard) close() {
	sh.mu.Lock()
	sh.closed = true
	sh.ix, sh.metas, sh.free, sh.done, sh.live, sh.bytes = index{}, metaTable{}, nil, nil, nil, 0
	sh.records.reset()
	sh.claims.reset()
	sh.hdr, sh.cache, sh.field, sh.header = nil, nil, nil, nil
	sh.mu.Unlock()
}

// find returns the number of key's entry, or false and the empty index
// slot where it would go.
func (sh *shard) find(h uint32, key string) (slot int, id uint32, found bool) {
	return sh.ix.find(h, func(id uint32) bool { return string(sh.keyOf(sh.metas.at(id))) == key })
}

// get returns the number of key's entry, if it has one.
func (sh *shard) get(h uint32, key string) (uint32, bool) {
	if sh.ix.n == 0 {
		return 0, false
	}
	_, id, ok := sh.find(h, key)
	return id, ok
}

// newEntry takes an unused entry number for a key of hash h.
func (sh *shard) newEntry(h uint32) uint32 {
	var id uint32
	if k := len(sh.free); k > 0 {
		id = sh.free[k-1]
		sh.free = sh.free[:k-1]
	} else {
		id = sh.metas.grow()
	}
	*sh.metas.at(id) = meta{hash: h, heapIdx: -1}
	return id
}

// slabFor is the slab holding the bytes of an entry in state st.
func (sh *shard) slabFor(st entryState) *slab {
	if st == stateDone {
		return &sh.records
	}
	return &sh.claims
}

// charge is what entry m counts against MaxBytes: its bytes in the slab
// (a chunk of its own is a whole number of pages, as the Go heap allocates
// it) and entryCharge.
func charge(m *meta) int64 { return int64(slabLen(int(m.n))) + entryCharge }

// remove forgets entry id entirely.
func (sh *shard) remove(id uint32) {
	m := sh.metas.at(id)
	sh.ix.remove(m.hash, id)
	if m.state == stateDone {
		sh.done.remove(&sh.metas, id)
	} else {
		sh.live.remove(&sh.metas, id)
	}
	sh.bytes -= charge(m)
	sh.forget(id)
	sl := sh.slabFor(m.state)
	sl.free(m.chunk, m.off, m.n)
	*m = meta{}
	sh.free = append(sh.free, id)
	sh.compact(sl)
}

// track puts entry id in the heap for its state and charges its size.
func (sh *shard) track(id uint32) {
	m := sh.metas.at(id)
	if m.state == stateDone {
		sh.done.push(&sh.metas, id)
	} else {
		sh.live.push(&sh.metas, id)
	}
	sh.bytes += charge(m)
}

// untrack undoes track, for an entry about to change.
func (sh *shard) untrack(id uint32) {
	m := sh.metas.at(id)
	if m.state == stateDone {
		sh.done.remove(&sh.metas, id)
	} else {
		sh.live.remove(&sh.metas, id)
	}
	sh.bytes -= charge(m)
}

// rewriteRecord replaces entry id's bytes (its key kept) with fp, header
// section and body, for the entry's new state st; fp may point into the
// old bytes, which are freed only after. It leaves the heaps and the
// charge to the caller.
func rewriteRecord[F bytesOrString](sh *shard, id uint32, st entryState, fp F, section, body []byte) {
	m := sh.metas.at(id)
	old := *m
	m.state = st
	writeRecord(sh, id, m, sh.keyOf(&old), fp, section, body)
	sl := sh.slabFor(old.state)
	sl.free(old.chunk, old.off, old.n)
	sh.compact(sl)
}

// compact moves the records of sl's emptiest chunk to its head when freed
// records leave too much of the slab unused, a chunk or two per call so
// that no write waits long.
func (sh *shard) compact(sl *slab) {
	for range 2 {
		if !sl.needsCompaction() {
			return
		}
		c, ok := sl.emptiest()
		if !ok {
			return
		}
		sl.records(c, func(id, off, n uint32) bool {
			if id < sh.metas.n {
				if m := sh.metas.at(id); m.n == n && m.chunk == c && m.off == off && sh.slabFor(m.state) == sl {
					src := sl.chunks[c].buf[off+recHeader : off+n]
					nc, noff, dst := sl.alloc(id, int(n))
					copy(dst, src)
					sl.free(c, off, n)
					m.chunk, m.off = nc, noff
				}
			}
			return cap(sl.chunks[c].buf) > 0 && sl.chunks[c].live > 0
		})
	}
}

// sweep reclaims up to n expired records and claims whose lease ended more
// than the store's TTL ago (kept until then so that a takeover is reported
// as one), and returns how many it reclaimed.
func (sh *shard) sweep(wall, mono int64, n int) int {
	k := 0
	for ; k < n; k++ {
		switch {
		case len(sh.done) > 0 && sh.done[0].d <= wall:
			sh.remove(sh.done.min())
		case len(sh.live) > 0 && sh.live[0].d <= mono-sh.ttl:
			sh.remove(sh.live.min())
		default:
			return k
		}
		sh.expired++
	}
	return k
}

// makeRoom evicts until one more entry of size bytes fits (addEntries is 1
// for a new key, 0 for an entry already counted), and reports whether it
// does. Only completed records and claims whose lease ended are evicted,
// and nothing is when the entry is larger than the whole shard.
func (sh *shard) makeRoom(size int64, addEntries int, wall, mono int64) bool {
	if sh.maxBytes > 0 && size > sh.maxBytes {
		return false
	}
	for (sh.maxEntries > 0 && sh.ix.n+addEntries > sh.maxEntries) ||
		(sh.maxBytes > 0 && sh.bytes+size > sh.maxBytes) {
		switch {
		case len(sh.done) > 0:
			v := sh.done.min()
			if sh.metas.at(v).deadline <= wall {
				sh.expired++
			} else {
				sh.evictions++
				sh.noteEviction(sh.metas.at(v), wall)
			}
			sh.remove(v)
		case len(sh.live) > 0 && sh.live[0].d <= mono:
			sh.expired++
			sh.remove(sh.live.min())
		default:
			return false
		}
	}
	return true
}

// noteEviction records m's eviction for OnEvict, if the store has one.
func (sh *shard) noteEviction(m *meta, wall int64) {
	if sh.evs == nil {
		return
	}
	age := time.Duration(0)
	if m.aux < wall {
		age = time.Duration(wall - m.aux)
		if age < 0 { // a CreatedAt clamped to 1678 overflows the difference
			age = math.MaxInt64
		}
	}
	*sh.evs = append(*sh.evs, Event{Outcome: OutcomeEvicted, Key: string(sh.keyOf(m)), Status: int(m.status), Elapsed: age})
}

// takeEvicted hands out the evictions noted so far, under the lock, for
// the caller to report after unlocking; nil without a hook or evictions.
func (sh *shard) takeEvicted() []Event {
	if sh.evs == nil || len(*sh.evs) == 0 {
		return nil
	}
	evs := *sh.evs
	*sh.evs = nil
	return evs
}

// defaultShards balances lock spreading against the fixed cost of a shard.
const defaultShards = 128

// Caps are split between shards; below these shares per shard the store
// uses fewer shards so that each still holds a useful number of entries.
const (
	minEntriesPerShard = 32
	minBytesPerShard   = 1 << 20
)

// recordHeadroom is what a record takes beyond its body: key, fingerprint,
// headers, the fixed charge, and the rounding of its slab chunk up to
// whole pages.
const recordHeadroom = 64 << 10

// minShardBytes is the least share of MaxBytes a shard may get: room for
// the largest record the store is meant to hold and as much again for the
// rest of its keys. With a share of exactly one record, each such record
// would evict everything else in its shard.
func minShardBytes(opts MemoryOptions) int64 {
	body := opts.MaxResponseBody
	if body <= 0 {
		body = DefaultMaxResponseBody
	}
	body = min(body, math.MaxInt64/4) // keeps the sum below from overflowing
	return max(minBytesPerShard, 2*(body+recordHeadroom))
}

// shardCount picks the number of shards for opts (see MemoryOptions.Shards).
func shardCount(opts MemoryOptions) int {
	n := defaultShards
	if opts.Shards > 0 {
		n = opts.Shards
	}
	if opts.MaxEntries > 0 {
		n = min(n, max(1, opts.MaxEntries/minEntriesPerShard))
	}
	if opts.MaxBytes > 0 {
		n = int(min(int64(n), max(1, opts.MaxBytes/minShardBytes(opts))))
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

// entryCharge is what an entry takes beyond its bytes in the slab: its
// meta, its index slot at the table's average load, its heap slot, and the
// share of free room a slab keeps (measured on Go 1.26, amd64), so that
// MaxBytes bounds the heap the store really holds.
const entryCharge = 96

// maxRecordLen is the longest record a slab holds: its lengths are 32-bit.
const maxRecordLen = math.MaxUint32 - recHeader

// Entries keep times as int64 nanoseconds, which span the years 1678 to
// 2262; times outside that range (a "never expires" in year 9999, say) are
// clamped rather than wrapped around into the past.
var (
	minUnixNano = time.Unix(0, math.MinInt64)
	maxUnixNano = time.Unix(0, math.MaxInt64)
)

func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minUnixNano):
		return math.MinInt64
	case t.After(maxUnixNano):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// addSat adds a lease to a clock reading without overflowing.
func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// metaTable holds a shard's metas in pages that never move, so the table
// grows without copying and without the slack of a doubled slice: the
// first page grows up to its full size, the later ones are made whole.
type metaTable struct {
	pages [][]meta
	n     uint32 // entry numbers handed out
}

const metaPageBits = 9 // 512 metas, 24 KiB, a page

func (t *metaTable) at(id uint32) *meta {
	return &t.pages[id>>metaPageBits][id&(1<<metaPageBits-1)]
}

// grow hands out the next entry number.
func (t *metaTable) grow() uint32 {
	id := t.n
	p, i := int(id>>metaPageBits), int(id&(1<<metaPageBits-1))
	switch {
	case p == len(t.pages) && p == 0:
		t.pages = append(t.pages, make([]meta, 8))
	case p == len(t.pages):
		t.pages = append(t.pages, make([]meta, 1<<metaPageBits))
	case i == len(t.pages[p]):
		grown := make([]meta, min(2*i, 1<<metaPageBits))
		copy(grown, t.pages[p])
		t.pages[p] = grown
	}
	t.n++
	return id
}
