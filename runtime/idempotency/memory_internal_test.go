package idempotency

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// The per-entry memory budget depends on these sizes, and the garbage
// collector's work on the shard's tables holding no pointers.
func TestMemoryLayout(t *testing.T) {
	if n := unsafe.Sizeof(meta{}); n > 48 {
		t.Errorf("meta is %d bytes, over 48", n)
	}
	if n := unsafe.Sizeof(shard{}); n%64 != 0 {
		t.Errorf("shard is %d bytes, not a whole number of cache lines", n)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[meta](), reflect.TypeFor[heapItem](), reflect.TypeFor[index]().Field(0).Type.Elem()} {
		if hasPointers(typ) {
			t.Errorf("%v holds pointers: a million of them would be scanned by every GC cycle", typ)
		}
	}
}

func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.String, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
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
			type ent struct{ id, hash uint32 }
			var ix index
			model := map[string]ent{}
			keys := map[uint32]string{} // entry number → key
			nextID := uint32(0)
			get := func(h uint32, key string) (uint32, bool) {
				if ix.n == 0 {
					return 0, false
				}
				_, id, ok := ix.find(h, func(id uint32) bool { return keys[id] == key })
				return id, ok
			}
			for step := range 20000 {
				key := fmt.Sprint(rng.IntN(600))
				h := pool[rng.IntN(hashes)]
				e, present := model[key]
				if present {
					h = e.hash
				}
				id, ok := get(h, key)
				if ok != present || (ok && id != e.id) {
					t.Fatalf("step %d: get(%q) = %d %v, want %d %v", step, key, id, ok, e.id, present)
				}
				switch {
				case !ok && rng.IntN(3) > 0:
					nextID++
					keys[nextID] = key
					ix.put(h, nextID)
					model[key] = ent{nextID, h}
				case ok:
					ix.remove(h, id)
					delete(model, key)
				}
				if ix.n != len(model) {
					t.Fatalf("step %d: index holds %d, model %d", step, ix.n, len(model))
				}
			}
			for key, e := range model {
				if id, ok := get(e.hash, key); !ok || id != e.id {
					t.Fatalf("final get(%q) = %d %v, want %d", key, id, ok, e.id)
				}
				ix.remove(e.hash, e.id)
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
	metas := &metaTable{}
	for range 5000 {
		metas.grow()
	}
	in := map[uint32]bool{}
	for step := range 5000 {
		switch op := rng.IntN(4); {
		case op < 2 || len(h) == 0:
			id := uint32(step)
			metas.at(id).deadline = rng.Int64N(1000)
			h.push(metas, id)
			in[id] = true
		case op == 2:
			id := h[rng.IntN(len(h))].id
			h.remove(metas, id)
			delete(in, id)
			h.remove(metas, id) // a second removal is a no-op
		default:
			id := h[rng.IntN(len(h))].id
			metas.at(id).deadline = rng.Int64N(1000)
			h.fix(metas, int(metas.at(id).heapIdx))
		}
		for i, it := range h {
			m := metas.at(it.id)
			if int(m.heapIdx) != i || !in[it.id] || it.d != m.deadline {
				t.Fatalf("step %d: entry at %d has idx %d, deadline %d in the slot, %d in the entry (tracked %v)", step, i, m.heapIdx, it.d, m.deadline, in[it.id])
			}
			if p := (i - 1) / 2; i > 0 && h[p].d > m.deadline {
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
// deadline, the byte count is the sum of the entries' charges, and the
// slab's chunks account for exactly the records the entries point to.
func checkShards(t *testing.T, s *MemoryStore) {
	t.Helper()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		var bytes int64
		chunkLive := map[bool]map[uint32]int{true: {}, false: {}} // by done, by chunk
		for name, hp := range map[string]entryHeap{"done": sh.done, "live": sh.live} {
			for j, it := range hp {
				m := sh.metas.at(it.id)
				if int(m.heapIdx) != j || it.d != m.deadline || (m.state == stateDone) != (name == "done") {
					t.Errorf("shard %d: %s heap slot %d holds idx %d, state %d, deadline %d/%d", i, name, j, m.heapIdx, m.state, it.d, m.deadline)
				}
				key := string(sh.keyOf(m))
				if id, ok := sh.get(m.hash, key); !ok || id != it.id {
					t.Errorf("shard %d: entry %q is in the %s heap but not in the index", i, key, name)
				}
				bytes += charge(m)
				chunkLive[m.state == stateDone][m.chunk] += int(m.n)
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
		for done, sl := range map[bool]*slab{true: &sh.records, false: &sh.claims} {
			var shared, live int64
			for c, ch := range sl.chunks {
				if want := chunkLive[done][uint32(c)]; ch.live != want {
					t.Errorf("shard %d: chunk %d (done %v) counts %d live bytes, its records add up to %d", i, c, done, ch.live, want)
				}
				if !ch.own {
					shared += int64(cap(ch.buf))
					live += int64(ch.live)
				}
			}
			if shared != sl.shared || live != sl.live {
				t.Errorf("shard %d: slab (done %v) counts %d/%d bytes shared/live, chunks add up to %d/%d", i, done, sl.shared, sl.live, shared, live)
			}
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
