package idempotency

import (
	"math"
	"sync"
)

type entryState uint8

const (
	stateClaimed entryState = iota + 1 // in flight, owned by a Claim token
	stateLocked                        // in flight, held through the seed Lock
	stateDone                          // completed record
)

// entry is one key's state. Once completed it is never modified again
// (apart from idx, which only the shard reads), because Claim hands out a
// pointer to its record; replacing a completed record means a new entry.
type entry struct {
	key string
	// rec is the completed record; while in flight only rec.Fingerprint is
	// set, to the owner's fingerprint.
	rec Record
	tok uint64
	// deadline is, in flight, the lease end on the store's monotonic clock
	// and, completed, the expiry in Unix nanoseconds.
	deadline int64
	idx      int32 // position in the shard's heap for its state
	size     uint32
	state    entryState
}

// shard is one independently locked part of a MemoryStore.
type shard struct {
	mu sync.Mutex
	m  map[string]*entry // nil once closed
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
	_         [56]byte // rounds the shard to 192 bytes, three cache lines, so neighbours' locks never share one
}

func (sh *shard) close() {
	sh.mu.Lock()
	sh.m, sh.done, sh.live, sh.bytes = nil, nil, nil, 0
	sh.mu.Unlock()
}

// remove forgets e entirely.
func (sh *shard) remove(e *entry) {
	delete(sh.m, e.key)
	if e.state == stateDone {
		sh.done.remove(e)
	} else {
		sh.live.remove(e)
	}
	sh.bytes -= int64(e.size)
}

// add inserts a new entry, already filled in, into the map and its heap.
func (sh *shard) add(e *entry) {
	sh.m[e.key] = e
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
		case len(sh.done) > 0 && sh.done[0].deadline <= wall:
			sh.remove(sh.done[0])
		case len(sh.live) > 0 && sh.live[0].deadline <= mono-sh.ttl:
			sh.remove(sh.live[0])
		default:
			return k
		}
		sh.expired++
	}
	return k
}

// makeRoom evicts until one more entry of size bytes fits (addEntries is 1
// for a new key, 0 for an entry already counted), and reports whether it
// does. Only completed records and claims whose lease ended are evicted.
func (sh *shard) makeRoom(size int64, addEntries int, wall, mono int64) bool {
	for (sh.maxEntries > 0 && len(sh.m)+addEntries > sh.maxEntries) ||
		(sh.maxBytes > 0 && sh.bytes+size > sh.maxBytes) {
		switch {
		case len(sh.done) > 0:
			v := sh.done[0]
			if v.deadline <= wall {
				sh.expired++
			} else {
				sh.evictions++
			}
			sh.remove(v)
		case len(sh.live) > 0 && sh.live[0].deadline <= mono:
			sh.expired++
			sh.remove(sh.live[0])
		default:
			return false
		}
	}
	return true
}

// Fixed charges, approximating what the structures holding an entry and a
// header value take, so that MaxBytes bounds real memory.
const (
	entryCharge       = 224 // entry, map slot and heap slot
	headerNameCharge  = 48  // map slot and value slice
	headerValueCharge = 16  // string header
)

func entrySize(key string, rec *Record) uint32 {
	n := entryCharge + len(key) + len(rec.Fingerprint) + len(rec.Body)
	for name, vs := range rec.Header {
		n += headerNameCharge + len(name)
		for _, v := range vs {
			n += headerValueCharge + len(v)
		}
	}
	return uint32(min(n, math.MaxUint32))
}

// entryHeap is a binary min-heap on entry.deadline that keeps each entry's
// idx up to date, so an entry can be removed or moved in O(log n).
type entryHeap []*entry

func (h *entryHeap) push(e *entry) {
	e.idx = int32(len(*h))
	*h = append(*h, e)
	h.up(int(e.idx))
}

func (h *entryHeap) remove(e *entry) {
	old := *h
	i, last := int(e.idx), len(old)-1
	if i < 0 || i > last || old[i] != e {
		return
	}
	if i != last {
		old[i] = old[last]
		old[i].idx = int32(i)
	}
	old[last] = nil
	*h = old[:last]
	e.idx = -1
	if i != last {
		h.fix(i)
	}
}

// fix restores order after the deadline of the entry at i changed.
func (h *entryHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h entryHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].deadline <= h[i].deadline {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h entryHeap) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		c := l
		if r := l + 1; r < len(h) && h[r].deadline < h[l].deadline {
			c = r
		}
		if h[i].deadline <= h[c].deadline {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}

func (h entryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = int32(i)
	h[j].idx = int32(j)
}
