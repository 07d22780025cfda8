package idempotency

// index maps keys to entry numbers within one shard. It is an
// open-addressing table with linear probing, kept instead of a Go map
// because a map keyed by strings holds a pointer per key for the garbage
// collector to follow: a slot here is one uint64, the key's 32 hash bits
// beside the entry's number plus one (zero marks an empty slot), and the
// key itself is read from the entry's record in the slab. It also reuses
// the hash that picked the shard.
//
// The hash bits let a probe skip non-matching slots, and a resize or a
// deletion find home slots, without reading the records, which at a
// million keys are each a cache miss away. The load stays at most 3/4, so
// a probe always ends at an empty slot. The table grows by half rather
// than doubling (any size works, since the home slot comes from a
// multiply-shift of the hash rather than a mask), which keeps it fuller on
// average: between 1/2 and 3/4.
type index struct {
	slots []uint64
	n     int
}

const minIndexSlots = 8

func packSlot(h, id uint32) uint64 { return uint64(h)<<32 | uint64(id+1) }
func slotHash(s uint64) uint32     { return uint32(s >> 32) }
func slotID(s uint64) uint32       { return uint32(s) - 1 }

// home is the slot where a probe for hash h starts.
func home(h uint32, size int) int { return int(uint64(h) * uint64(size) >> 32) }

// find returns the number of the entry with hash h for which match is
// true, or false and the empty slot where such an entry would go.
func (ix *index) find(h uint32, match func(id uint32) bool) (slot int, id uint32, found bool) {
	if len(ix.slots) == 0 {
		ix.resize(minIndexSlots)
	}
	size := len(ix.slots)
	for i := home(h, size); ; i = next(i, size) {
		s := ix.slots[i]
		if s == 0 {
			return i, 0, false
		}
		if slotHash(s) == h && match(slotID(s)) {
			return i, slotID(s), true
		}
	}
}

// insertAt puts entry id, of hash h, in the empty slot i that find
// returned.
func (ix *index) insertAt(i int, h, id uint32) {
	ix.slots[i] = packSlot(h, id)
	ix.n++
	if ix.n*4 > len(ix.slots)*3 {
		ix.resize(len(ix.slots) + len(ix.slots)/2)
	}
}

// put inserts entry id, of hash h, which must not be present.
func (ix *index) put(h, id uint32) {
	i, _, _ := ix.find(h, func(uint32) bool { return false })
	ix.insertAt(i, h, id)
}

// remove takes entry id, of hash h, out, shifting later entries of its
// probe run back so that no tombstones accumulate.
func (ix *index) remove(h, id uint32) {
	if ix.n == 0 {
		return
	}
	size := len(ix.slots)
	want := packSlot(h, id)
	i := home(h, size)
	for ix.slots[i] != want {
		if ix.slots[i] == 0 {
			return // not present
		}
		i = next(i, size)
	}
	for j := i; ; {
		j = next(j, size)
		if ix.slots[j] == 0 {
			break
		}
		// The entry at j may move back to i only if its home slot is not
		// cyclically within (i, j].
		k := home(slotHash(ix.slots[j]), size)
		if (i < j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		ix.slots[i] = ix.slots[j]
		i = j
	}
	ix.slots[i] = 0
	ix.n--
	// Give memory back after a wave of expiries.
	if len(ix.slots) > minIndexSlots && ix.n*4 < len(ix.slots) {
		ix.resize(max(minIndexSlots, len(ix.slots)/2))
	}
}

func (ix *index) resize(size int) {
	old := ix.slots
	ix.slots = make([]uint64, size)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := home(slotHash(s), size)
		for ix.slots[i] != 0 {
			i = next(i, size)
		}
		ix.slots[i] = s
	}
}

func next(i, size int) int {
	if i++; i == size {
		return 0
	}
	return i
}
