package idempotency

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// The per-entry memory budget depends on these sizes.
func TestMemoryLayout(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n > 112 {
		t.Errorf("entry is %d bytes, over the 112-byte size class", n)
	}
	if n := unsafe.Sizeof(shard{}); n%64 != 0 {
		t.Errorf("shard is %d bytes, not a whole number of cache lines", n)
	}
}

// TestIndexAgainstMap drives the index and a map with the same random
// operations, with hashes drawn from a tiny range so that probe runs are
// long, wrap around the table and overlap.
func TestIndexAgainstMap(t *testing.T) {
	for _, hashes := range []uint32{1, 7, 1 << 10, 1 << 31} {
		t.Run(fmt.Sprint(hashes), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(hashes)))
			var ix index
			model := map[string]*entry{}
			for step := range 20000 {
				key := fmt.Sprint(rng.IntN(600))
				h := uint32(rng.Uint64()) % hashes
				if e := model[key]; e != nil {
					h = e.hash
				}
				got := ix.get(h, key)
				if got != model[key] {
					t.Fatalf("step %d: get(%q) = %p, want %p", step, key, got, model[key])
				}
				switch {
				case got == nil && rng.IntN(3) > 0:
					e := &entry{key: key, hash: h}
					ix.put(e)
					model[key] = e
				case got != nil:
					ix.remove(got)
					delete(model, key)
				}
				if ix.n != len(model) {
					t.Fatalf("step %d: index holds %d, model %d", step, ix.n, len(model))
				}
			}
			for key, e := range model {
				if got := ix.get(e.hash, key); got != e {
					t.Fatalf("final get(%q) = %p, want %p", key, got, e)
				}
				ix.remove(e)
			}
			if ix.n != 0 || len(ix.slots) != minIndexSlots {
				t.Fatalf("emptied index: n %d, %d slots, want 0 and %d", ix.n, len(ix.slots), minIndexSlots)
			}
		})
	}
}

func TestEntryHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	var h entryHeap
	in := map[*entry]bool{}
	for step := range 5000 {
		switch op := rng.IntN(4); {
		case op < 2 || len(h) == 0:
			e := &entry{deadline: rng.Int64N(1000)}
			h.push(e)
			in[e] = true
		case op == 2:
			e := h[rng.IntN(len(h))].e
			h.remove(e)
			delete(in, e)
			h.remove(e) // a second removal is a no-op
		default:
			e := h[rng.IntN(len(h))].e
			e.deadline = rng.Int64N(1000)
			h.fix(int(e.idx))
		}
		for i, it := range h {
			e := it.e
			if int(e.idx) != i || !in[e] || it.d != e.deadline {
				t.Fatalf("step %d: entry at %d has idx %d, deadline %d in the slot, %d in the entry (tracked %v)", step, i, e.idx, it.d, e.deadline, in[e])
			}
			if p := (i - 1) / 2; i > 0 && h[p].d > e.deadline {
				t.Fatalf("step %d: heap order broken at %d", step, i)
			}
		}
		if len(h) != len(in) {
			t.Fatalf("step %d: heap holds %d, want %d", step, len(h), len(in))
		}
	}
}
