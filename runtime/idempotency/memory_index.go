package idempotency

// index maps keys to entries within one shard. It is an open-addressing
// table with linear probing, kept instead of a Go map because it costs
// about 16 bytes per entry rather than about 40 (the key already lives in
// the entry, and a slot is one pointer plus one tag byte), and because it
// reuses the hash that picked the shard.
//
// A tag byte per slot (0 empty, else 0x80 and seven hash bits) lets a probe
// skip most non-matching slots without touching their entries. The load
// stays at most 3/4, so a probe always ends at an empty slot.
type index struct {
	tags  []uint8
	slots []*entry
	n     int
}

const minIndexSlots = 8

func tagOf(h uint32) uint8 { return 0x80 | uint8(h>>25) }

// find returns key's entry, or nil and the empty slot where it would go.
func (ix *index) find(h uint32, key string) (int, *entry) {
	if len(ix.slots) == 0 {
		ix.resize(minIndexSlots)
	}
	mask := len(ix.slots) - 1
	tag := tagOf(h)
	for i := int(h) & mask; ; i = (i + 1) & mask {
		switch ix.tags[i] {
		case 0:
			return i, nil
		case tag:
			if e := ix.slots[i]; e.key == key {
				return i, e
			}
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
	ix.tags[i] = tagOf(e.hash)
	ix.slots[i] = e
	ix.n++
	if ix.n*4 > len(ix.slots)*3 {
		ix.resize(len(ix.slots) * 2)
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
	mask := len(ix.slots) - 1
	i := int(e.hash) & mask
	for ix.slots[i] != e {
		if ix.tags[i] == 0 {
			return // not present
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		if ix.tags[j] == 0 {
			break
		}
		// The entry at j may move back to i only if its home slot is not
		// cyclically within (i, j].
		home := int(ix.slots[j].hash) & mask
		if (i < j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		ix.tags[i], ix.slots[i] = ix.tags[j], ix.slots[j]
		i = j
	}
	ix.tags[i], ix.slots[i] = 0, nil
	ix.n--
	// Give memory back after a wave of expiries.
	if len(ix.slots) > minIndexSlots && ix.n*8 < len(ix.slots) {
		ix.resize(len(ix.slots) / 2)
	}
}

func (ix *index) resize(size int) {
	oldSlots := ix.slots
	ix.tags = make([]uint8, size)
	ix.slots = make([]*entry, size)
	mask := size - 1
	for _, e := range oldSlots {
		if e == nil {
			continue
		}
		i := int(e.hash) & mask
		for ix.tags[i] != 0 {
			i = (i + 1) & mask
		}
		ix.tags[i], ix.slots[i] = tagOf(e.hash), e
	}
}
