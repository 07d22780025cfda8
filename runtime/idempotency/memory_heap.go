package idempotency

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
