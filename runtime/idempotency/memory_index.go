package idempotency

// index maps keys to entries within one shard. It is an open-addressing
// table with linear probing, kept instead of a Go map because it costs
// about 20 bytes per entry rather than about 40 (the key already lives in
// the entry, and a slot is one pointer plus 32 hash bits), and because it
// reuses the hash that picked the shard.
//
// The hash bits beside each slot let a probe skip non-matching slots, and
// a resize or a deletion find home slots, without reading the entries,
// which at a million keys are each a cache miss away. The load stays at
// most 3/4, so a probe always ends at an empty slot. The table grows by half
// rather than doubling (any size works, since the home slot comes from a
// multiply-shift of the hash rather than a mask), which keeps it fuller on
// average: between 1/2 and 3/4.
type index struct {
	hashes []uint32
	slots  []*entry
	n      int
}

const minIndexSlots = 8

// home is the slot where a probe for hash h starts.
func home(h uint32, size int) int { return int(uint64(h) * uint64(size) >> 32) }

// find returns key's entry, or nil and the empty slot where it would go.
func (ix *index) find(h uint32, key string) (int, *entry) {
	if len(ix.slots) == 0 {
		ix.resize(minIndexSlots)
	}
	size := len(ix.slots)
	for i := home(h, size); ; i = next(i, size) {
		e := ix.slots[i]
		if e == nil {
			return i, nil
		}
		if ix.hashes[i] == h && e.key == key {
			return i, e
		}
	}
}

func (ix *index) get(h uint32, key string) *entry {
	if ix.n == 0 {
		return nil
	}
	_, e := ix.find(h, key)
	return e
}

// insertAt puts e in the empty slot i that find returned.
func (ix *index) insertAt(i int, e *entry) {
	ix.hashes[i] = e.hash
	ix.slots[i] = e
	ix.n++
	if ix.n*4 > len(ix.slots)*3 {
		ix.resize(len(ix.slots) + len(ix.slots)/2)
	}
}

// put inserts e, whose key must not be present.
func (ix *index) put(e *entry) {
	i, _ := ix.find(e.hash, e.key)
	ix.insertAt(i, e)
}

// remove takes e out, shifting later entries of its probe run back so that
// no tombstones accumulate.
func (ix *index) remove(e *entry) {
	if ix.n == 0 {
		return
	}
	size := len(ix.slots)
	i := home(e.hash, size)
	for ix.slots[i] != e {
		if ix.slots[i] == nil {
			return // not present
		}
		i = next(i, size)
	}
	for j := i; ; {
		j = next(j, size)
		if ix.slots[j] == nil {
			break
		}
		// The entry at j may move back to i only if its home slot is not
		// cyclically within (i, j].
		k := home(ix.hashes[j], size)
		if (i < j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue
		}
		ix.hashes[i], ix.slots[i] = ix.hashes[j], ix.slots[j]
		i = j
	}
	ix.hashes[i], ix.slots[i] = 0, nil
	ix.n--
	// Give memory back after a wave of expiries.
	if len(ix.slots) > minIndexSlots && ix.n*4 < len(ix.slots) {
		ix.resize(max(minIndexSlots, len(ix.slots)/2))
	}
}

func (ix *index) resize(size int) {
	oldHashes, oldSlots := ix.hashes, ix.slots
	ix.hashes = make([]uint32, size)
	ix.slots = make([]*entry, size)
	for k, e := range oldSlots {
		if e == nil {
			continue
		}
		h := oldHashes[k]
		i := home(h, size)
		for ix.slots[i] != nil {
			i = next(i, size)
		}
		ix.hashes[i], ix.slots[i] = h, e
	}
}

func next(i, size int) int {
	if i++; i == size {
		return 0
	}
	return i
}
