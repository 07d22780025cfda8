package idempotency

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
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
// operations, with hashes drawn from a small pool so that probe runs are
// long, wrap around the table and overlap.
func TestIndexAgainstMap(t *testing.T) {
	for _, hashes := range []int{1, 7, 1 << 10, 1 << 20} {
		t.Run(fmt.Sprint(hashes), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(hashes)))
			pool := make([]uint32, hashes)
			for i := range pool {
				pool[i] = rng.Uint32()
			}
			pool[0] = math.MaxUint32 // home is the last slot: runs wrap at once
			var ix index
			model := map[string]*entry{}
			for step := range 20000 {
				key := fmt.Sprint(rng.IntN(600))
				h := pool[rng.IntN(hashes)]
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

// checkShards verifies what every operation must preserve: the index and
// the heaps hold the same entries, each heap slot knows its position and
// deadline, and the byte count is the sum of the entries' charges.
func checkShards(t *testing.T, s *MemoryStore) {
	t.Helper()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		var bytes int64
		for name, hp := range map[string]entryHeap{"done": sh.done, "live": sh.live} {
			for j, it := range hp {
				e := it.e
				if int(e.idx) != j || it.d != e.deadline || (e.state == stateDone) != (name == "done") {
					t.Errorf("shard %d: %s heap slot %d holds idx %d, state %d, deadline %d/%d", i, name, j, e.idx, e.state, it.d, e.deadline)
				}
				if sh.ix.get(e.hash, e.key) != e {
					t.Errorf("shard %d: entry %q is in the %s heap but not in the index", i, e.key, name)
				}
				bytes += int64(e.size)
			}
		}
		if n := len(sh.done) + len(sh.live); n != sh.ix.n {
			t.Errorf("shard %d: index holds %d entries, heaps %d", i, sh.ix.n, n)
		}
		if bytes != sh.bytes {
			t.Errorf("shard %d: charged %d bytes, entries add up to %d", i, sh.bytes, bytes)
		}
		if sh.maxEntries > 0 && sh.ix.n > sh.maxEntries {
			t.Errorf("shard %d: %d entries over the cap of %d", i, sh.ix.n, sh.maxEntries)
		}
		sh.mu.Unlock()
	}
}

// TestMemoryStoreChurn runs every operation from several goroutines on a
// small, bounded keyspace with short leases and expiries and a janitor,
// then checks the shards' invariants. Run it with -race.
func TestMemoryStoreChurn(t *testing.T) {
	s := NewMemoryStoreWith(MemoryOptions{MaxEntries: 256, Shards: 4, SweepInterval: time.Millisecond})
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			tokens := map[string]string{}
			for range 4000 {
				key := fmt.Sprint("k", rng.IntN(400))
				switch op := rng.IntN(10); {
				case op < 4:
					c, err := s.Claim(ctx, key, "fp", time.Duration(1+rng.IntN(3))*time.Millisecond)
					if err == nil && c.State == Acquired {
						tokens[key] = c.Token
					}
				case op < 6:
					if tok, ok := tokens[key]; ok {
						exp := time.Now().Add(time.Duration(rng.IntN(5)) * time.Millisecond)
						_ = s.Complete(ctx, key, tok, &Record{Status: 200, Body: make([]byte, rng.IntN(100)), ExpiresAt: exp})
						delete(tokens, key)
					}
				case op == 6:
					if tok, ok := tokens[key]; ok {
						_ = s.Renew(ctx, key, tok, time.Millisecond)
					}
				case op == 7:
					if tok, ok := tokens[key]; ok {
						_ = s.Abandon(ctx, key, tok)
						delete(tokens, key)
					}
				case op == 8:
					if s.Lock(key) {
						s.Unlock(key)
					}
				default:
					s.Set(key, &CachedResponse{StatusCode: 201, ExpiresAt: time.Now().Add(2 * time.Millisecond)})
					s.Get(key)
					if rng.IntN(4) == 0 {
						s.Delete(key)
					}
				}
			}
		}()
	}
	wg.Wait()
	checkShards(t, s)
	if st := s.Stats(); st.Expired == 0 || st.Entries > 256 {
		t.Errorf("after churn: %+v; want some expiries and at most 256 entries", st)
	}
}
