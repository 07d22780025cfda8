package idempotency

// entryHeap is a binary min-heap of entry numbers on their deadline that
// keeps each entry's heapIdx up to date, so an entry can be removed or
// moved in O(log n). Each slot carries a copy of the deadline, so ordering
// compares neighbouring slots instead of reading entries scattered across
// the shard's table. Like the rest of a shard's tables, it holds no
// pointer for the garbage collector to follow.
type entryHeap []heapItem

type heapItem struct {
	d  int64
	id uint32
}

// min returns the entry with the earliest deadline; the heap must not be
// empty.
func (h entryHeap) min() uint32 { return h[0].id }

func (h *entryHeap) push(t *metaTable, id uint32) {
	t.at(id).heapIdx = int32(len(*h))
	*h = append(*h, heapItem{t.at(id).deadline, id})
	h.up(t, len(*h)-1)
}

func (h *entryHeap) remove(t *metaTable, id uint32) {
	old := *h
	i, last := int(t.at(id).heapIdx), len(old)-1
	if i < 0 || i > last || old[i].id != id {
		return
	}
	if i != last {
		old[i] = old[last]
		t.at(old[i].id).heapIdx = int32(i)
	}
	old[last] = heapItem{}
	*h = old[:last]
	t.at(id).heapIdx = -1
	if i != last {
		h.fix(t, i)
	}
	// Give memory back after a wave of expiries.
	if c := cap(*h); c > 64 && len(*h) < c/4 {
		*h = append(make(entryHeap, 0, c/2), *h...)
	}
}

// fix restores order after the deadline of the entry at i changed.
func (h entryHeap) fix(t *metaTable, i int) {
	h[i].d = t.at(h[i].id).deadline
	if !h.down(t, i) {
		h.up(t, i)
	}
}

func (h entryHeap) up(t *metaTable, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].d <= h[i].d {
			return
		}
		h.swap(t, i, p)
		i = p
	}
}

func (h entryHeap) down(t *metaTable, i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		c := l
		if r := l + 1; r < len(h) && h[r].d < h[l].d {
			c = r
		}
		if h[i].d <= h[c].d {
			break
		}
		h.swap(t, i, c)
		i = c
	}
	return i > start
}

func (h entryHeap) swap(t *metaTable, i, j int) {
	h[i], h[j] = h[j], h[i]
	t.at(h[i].id).heapIdx = int32(i)
	t.at(h[j].id).heapIdx = int32(j)
}
