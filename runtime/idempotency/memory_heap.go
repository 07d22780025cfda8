package idempotency

// entryHeap is a binary min-heap on entry.deadline that keeps each entry's
// idx up to date, so an entry can be removed or moved in O(log n). Each
// slot carries a copy of the deadline, so ordering compares neighbouring
// slots instead of reading entries scattered across the heap.
type entryHeap []heapItem

type heapItem struct {
	d int64
	e *entry
}

// min returns the entry with the earliest deadline; the heap must not be
// empty.
func (h entryHeap) min() *entry { return h[0].e }

func (h *entryHeap) push(e *entry) {
	e.idx = int32(len(*h))
	*h = append(*h, heapItem{e.deadline, e})
	h.up(int(e.idx))
}

func (h *entryHeap) remove(e *entry) {
	old := *h
	i, last := int(e.idx), len(old)-1
	if i < 0 || i > last || old[i].e != e {
		return
	}
	if i != last {
		old[i] = old[last]
		old[i].e.idx = int32(i)
	}
	old[last] = heapItem{}
	*h = old[:last]
	e.idx = -1
	if i != last {
		h.fix(i)
	}
}

// fix restores order after the deadline of the entry at i changed.
func (h entryHeap) fix(i int) {
	h[i].d = h[i].e.deadline
	if !h.down(i) {
		h.up(i)
	}
}

func (h entryHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].d <= h[i].d {
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
		if r := l + 1; r < len(h) && h[r].d < h[l].d {
			c = r
		}
		if h[i].d <= h[c].d {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}

func (h entryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].e.idx = int32(i)
	h[j].e.idx = int32(j)
}
