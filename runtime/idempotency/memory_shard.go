package idempotency

import (
	"math"
	"math/bits"
	"net/http"
	"sync"
	"time"
)

type entryState uint8

const (
	stateClaimed entryState = iota + 1 // in flight, owned by a Claim token
	stateLocked                        // in flight, held through the seed Lock
	stateDone                          // completed record
)

// entry is one key's state, kept compact (112 bytes) because a store may
// hold millions: times are Unix nanoseconds, and the Record that Claim
// returns is built on the first replay only, then cached, since most keys
// are never retried.
type entry struct {
	key string
	// fp is the owner's fingerprint in flight, the record's once completed.
	fp     string
	header http.Header
	body   []byte
	rec    *Record // built on first replay; read-only once handed out
	// aux is, in flight, the owner's token number and, completed, the
	// record's CreatedAt.
	aux int64
	// deadline is, in flight, the lease end on the store's monotonic clock
	// and, completed, the expiry.
	deadline int64
	status   int32
	idx      int32  // position in the shard's heap for its state
	size     uint32 // bytes charged against MaxBytes
	hash     uint32 // the key's hash bits that place it in the index
	state    entryState
	omitted  bool
}

// record returns the completed entry as a Record, building it once.
func (e *entry) record() *Record {
	if e.rec == nil {
		e.rec = &Record{
			Fingerprint: e.fp,
			Status:      int(e.status),
			Header:      e.header,
			Body:        e.body,
			BodyOmitted: e.omitted,
			CreatedAt:   time.Unix(0, e.aux),
			ExpiresAt:   time.Unix(0, e.deadline),
		}
	}
	return e.rec
}

// setRecord fills a completed entry from r, whose times must be set.
func (e *entry) setRecord(r *Record) {
	e.fp, e.header, e.body, e.omitted = r.Fingerprint, r.Header, r.Body, r.BodyOmitted
	e.status = int32(min(max(r.Status, math.MinInt32), math.MaxInt32))
	e.aux, e.deadline = unixNano(r.CreatedAt), unixNano(r.ExpiresAt)
	e.rec, e.state = nil, stateDone
	e.size = entrySize(e)
}

// shard is one independently locked part of a MemoryStore.
type shard struct {
	mu     sync.Mutex
	ix     index
	closed bool
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
	// once the lock is released; nil without a hook. As a pointer it also
	// keeps the shard at 192 bytes, three cache lines, so neighbours'
	// locks never share one.
	evs *[]Event
}

func (sh *shard) close() {
	sh.mu.Lock()
	sh.closed = true
	sh.ix, sh.done, sh.live, sh.bytes = index{}, nil, nil, 0
	sh.mu.Unlock()
}

// remove forgets e entirely.
func (sh *shard) remove(e *entry) {
	sh.ix.remove(e)
	if e.state == stateDone {
		sh.done.remove(e)
	} else {
		sh.live.remove(e)
	}
	sh.bytes -= int64(e.size)
}

// add inserts a new entry, already filled in, into the index and its heap.
func (sh *shard) add(e *entry) {
	sh.ix.put(e)
	sh.track(e)
}

// track puts e in the heap for its state and charges its size.
func (sh *shard) track(e *entry) {
	if e.state == stateDone {
		sh.done.push(e)
	} else {
		sh.live.push(e)
	}
	sh.bytes += int64(e.size)
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
			if v.deadline <= wall {
				sh.expired++
			} else {
				sh.evictions++
				sh.noteEviction(v, wall)
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

// noteEviction records e's eviction for OnEvict, if the store has one.
func (sh *shard) noteEviction(e *entry, wall int64) {
	if sh.evs == nil {
		return
	}
	age := time.Duration(0)
	if e.aux < wall {
		age = time.Duration(wall - e.aux)
		if age < 0 { // a CreatedAt clamped to 1678 overflows the difference
			age = math.MaxInt64
		}
	}
	*sh.evs = append(*sh.evs, Event{Outcome: OutcomeEvicted, Key: e.key, Status: int(e.status), Elapsed: age})
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
// headers, the fixed charges, and the rounding of the body's allocation up
// to whole pages (bytes.Clone of a 1,048,000-byte body holds 1 MiB).
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

// Fixed charges, approximating what the structures holding an entry and its
// headers take (measured on Go 1.26, amd64), so that MaxBytes bounds real
// memory rather than only the payload.
const (
	entryCharge       = 256 // entry, index and heap slots, the cached Record
	headerMapCharge   = 400 // a header map of up to eight names
	headerNameCharge  = 48  // each name beyond eight: map slot and growth
	headerValueCharge = 16  // each value's string header in its slice
)

func entrySize(e *entry) uint32 {
	n := entryCharge + len(e.key) + len(e.fp) + cap(e.body)
	if e.header != nil {
		n += headerMapCharge + max(0, len(e.header)-8)*headerNameCharge
	}
	for name, vs := range e.header {
		n += len(name)
		for _, v := range vs {
			n += headerValueCharge + len(v)
		}
	}
	return uint32(min(n, math.MaxUint32))
}

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
