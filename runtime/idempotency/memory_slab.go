package idempotency

import "encoding/binary"

// slab holds one shard's records as bytes in a few large chunks.
//
// A store of a million records kept as Go values (strings, maps, slices)
// is millions of objects the garbage collector must visit on every cycle,
// which slows every allocation in the process. A chunk is one []byte,
// which the collector marks without looking inside, so the whole slab is
// a handful of objects however many records it holds.
//
// Records are appended to the head chunk. A freed record leaves a hole;
// a chunk whose records are all gone is dropped (the head is refilled from
// its start instead), and when the holes add
// up to more than an eighth of the slab, the emptiest chunk's remaining
// records are copied to the head and the chunk dropped, so a store under
// churn stays near its live size. Records of more than a quarter chunk get
// a chunk of their own, dropped with them.
type slab struct {
	chunks     []chunk
	freeChunks []uint32 // unused positions in chunks
	head       int32    // the chunk being filled; -1 for none
	shared     int64    // bytes of the chunks records share (cap)
	live       int64    // bytes of the records in them
}

type chunk struct {
	buf  []byte // len is the part written, cap the chunk's size
	live int    // bytes of the records still in use
	own  bool   // holds one large record alone
}

// Chunk sizes: a shard's first chunks are small, so that the many small
// stores of a test suite or a lightly used shard cost little, and later
// ones grow with the slab (an eighth of it) up to maxChunk, which bounds
// the unfilled tail of the head chunk.
const (
	minChunk    = 4 << 10
	maxChunk    = 256 << 10
	ownChunkMin = maxChunk / 4
	// recHeader is each record's prefix: its entry number and its length,
	// which let a chunk be walked when its records move.
	recHeader = 8
)

func newSlab() slab { return slab{head: -1} }

// pageSize is the unit in which the Go heap allocates large objects.
const pageSize = 8 << 10

// slabLen is what a record of n bytes takes in the slab: n in a shared
// chunk, whole pages in a chunk of its own.
func slabLen(n int) int {
	if n >= ownChunkMin {
		return (n + pageSize - 1) &^ (pageSize - 1)
	}
	return n
}

// alloc reserves n bytes (recHeader included) for entry id and returns
// where they are and the bytes to fill after the header.
func (sl *slab) alloc(id uint32, n int) (c, off uint32, dst []byte) {
	if n >= ownChunkMin {
		c = sl.newChunk(slabLen(n), true)
	} else {
		if sl.head < 0 || cap(sl.chunks[sl.head].buf)-len(sl.chunks[sl.head].buf) < n {
			// At least the record's size (under ownChunkMin, so within
			// maxChunk), else an eighth of the slab.
			size := minChunk
			for size < n || size < maxChunk && int64(size) < sl.shared/8 {
				size *= 2
			}
			if prev := sl.head; prev >= 0 && sl.chunks[prev].live == 0 {
				sl.drop(uint32(prev)) // every record in it was freed while it filled
			}
			sl.head = int32(sl.newChunk(size, false))
		}
		c = uint32(sl.head)
		sl.live += int64(n)
	}
	ch := &sl.chunks[c]
	off = uint32(len(ch.buf))
	ch.buf = ch.buf[:int(off)+n]
	ch.live += n
	rec := ch.buf[off:]
	binary.LittleEndian.PutUint32(rec, id)
	binary.LittleEndian.PutUint32(rec[4:], uint32(n))
	return c, off, rec[recHeader:]
}

func (sl *slab) newChunk(size int, own bool) uint32 {
	ch := chunk{buf: make([]byte, 0, size), own: own}
	if !own {
		sl.shared += int64(size)
	}
	if k := len(sl.freeChunks); k > 0 {
		c := sl.freeChunks[k-1]
		sl.freeChunks = sl.freeChunks[:k-1]
		sl.chunks[c] = ch
		return c
	}
	sl.chunks = append(sl.chunks, ch)
	return uint32(len(sl.chunks) - 1)
}

// bytes returns the n bytes of the record at c, off, after its header.
func (sl *slab) bytes(c, off, n uint32) []byte {
	return sl.chunks[c].buf[off+recHeader : off+n : off+n]
}

// free releases the record of n bytes at c, off.
func (sl *slab) free(c, off, n uint32) {
	ch := &sl.chunks[c]
	ch.live -= int(n)
	if !ch.own {
		sl.live -= int64(n)
	}
	switch {
	case ch.live > 0:
	case int32(c) != sl.head:
		sl.drop(c)
	default:
		// Every record written to the head is gone: fill it again from
		// the start, as a store whose claims complete quickly always can.
		ch.buf = ch.buf[:0]
	}
}

func (sl *slab) drop(c uint32) {
	ch := &sl.chunks[c]
	if !ch.own {
		sl.shared -= int64(cap(ch.buf))
		sl.live -= int64(ch.live)
	}
	*ch = chunk{}
	sl.freeChunks = append(sl.freeChunks, c)
}

// holes is the room lost to freed records, not counting the head chunk's
// unwritten tail, which is still to be used.
func (sl *slab) holes() int64 {
	h := sl.shared - sl.live
	if sl.head >= 0 {
		ch := &sl.chunks[sl.head]
		h -= int64(cap(ch.buf) - len(ch.buf))
	}
	return h
}

// needsCompaction reports holes beyond an eighth of the slab.
func (sl *slab) needsCompaction() bool {
	h := sl.holes()
	return h > minChunk && h > sl.shared/8
}

// emptiest returns the shared chunk, other than the head, whose records
// take the smallest share of it: the cheapest to move for the room it
// gives back. It returns false when there is none.
func (sl *slab) emptiest() (uint32, bool) {
	best, found := uint32(0), false
	var bestLive, bestCap int
	for i := range sl.chunks {
		ch := &sl.chunks[i]
		if ch.own || cap(ch.buf) == 0 || int32(i) == sl.head {
			continue
		}
		// live/cap < bestLive/bestCap, without division.
		if !found || ch.live*bestCap < bestLive*cap(ch.buf) {
			best, bestLive, bestCap, found = uint32(i), ch.live, cap(ch.buf), true
		}
	}
	return best, found
}

// records calls f with the entry number, offset and length of each record
// written in chunk c, freed ones included (the caller tells them apart by
// whether its entry still points there), until f returns false.
func (sl *slab) records(c uint32, f func(id, off, n uint32) bool) {
	buf := sl.chunks[c].buf
	for off := 0; off < len(buf); {
		id := binary.LittleEndian.Uint32(buf[off:])
		n := binary.LittleEndian.Uint32(buf[off+4:])
		if !f(id, uint32(off), n) {
			return
		}
		off += int(n)
	}
}

// reset drops every chunk.
func (sl *slab) reset() { *sl = newSlab() }
