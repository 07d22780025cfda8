package idempotency

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// modelRecord is what a key should replay, in TestMemoryStoreAgainstModel.
type modelRecord struct {
	fp     string
	status int
	header http.Header
	body   []byte
}

func randomHeader(rng *rand.Rand, i int) http.Header {
	switch rng.IntN(5) {
	case 0:
		return nil
	case 4:
		return http.Header{}
	case 1:
		return http.Header{"Content-Type": {"application/json"}}
	case 2:
		return http.Header{"Content-Type": {"application/json"}, "Location": {"/things/" + strconv.Itoa(i)}}
	}
	return http.Header{"Link": {"<a>", "<b>", strconv.Itoa(i)}, "X-Empty": {""}, "Content-Type": {"text/plain"}}
}

func randomBody(rng *rand.Rand) []byte {
	n := rng.IntN(400)
	switch rng.IntN(50) {
	case 0:
		n = ownChunkMin + rng.IntN(3*ownChunkMin) // a chunk of its own
	case 1:
		n = minChunk + rng.IntN(ownChunkMin-minChunk) // larger than a young shard's chunks
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestMemoryStoreAgainstModel drives a store and a map through the same
// random claims, completions, seed writes, deletions and expiries, with
// bodies small and large, so that chunks fill, empty and are compacted
// again and again; every key's replay must match the model throughout.
func TestMemoryStoreAgainstModel(t *testing.T) {
	clk := newStepClock()
	s := NewMemoryStoreWith(MemoryOptions{TTL: time.Minute, Shards: 2, clock: clk.Now})
	defer s.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	model := map[string]modelRecord{}
	expires := map[string]time.Time{}
	type claimed struct{ token, fp string }
	tokens := map[string]claimed{}
	check := func(step int) {
		for key, want := range model {
			if !clk.Now().Before(expires[key]) {
				continue
			}
			c, err := s.Claim(ctx, key, want.fp, time.Minute)
			if err != nil || c.State != Completed {
				t.Fatalf("step %d: Claim(%q) = %v %v, want completed", step, key, c.State, err)
			}
			r := c.Record
			if r.Fingerprint != want.fp || r.Status != want.status || !bytes.Equal(r.Body, want.body) ||
				len(r.Header) != len(want.header) || (len(want.header) > 0 && !reflect.DeepEqual(r.Header, want.header)) {
				t.Fatalf("step %d: %q replays %q %d %v (%d bytes), want %q %d %v (%d bytes)",
					step, key, r.Fingerprint, r.Status, r.Header, len(r.Body), want.fp, want.status, want.header, len(want.body))
			}
		}
		checkShards(t, s)
	}
	for step := range 6000 {
		key := fmt.Sprint("k", rng.IntN(300))
		switch op := rng.IntN(10); {
		case op < 4:
			fp := fmt.Sprint("fp-", key, "-", rng.IntN(1000))
			c, err := s.Claim(ctx, key, fp, time.Hour) // no lease lapses: records expire, claims stay
			if err != nil {
				t.Fatal(err)
			}
			if c.State == Acquired {
				tokens[key] = claimed{c.Token, fp}
				delete(model, key)
			}
		case op < 8:
			cl, ok := tokens[key]
			if !ok {
				continue
			}
			rec := &Record{Status: 200 + rng.IntN(300), Header: randomHeader(rng, step), Body: randomBody(rng)}
			want := modelRecord{status: rec.Status, header: rec.Header.Clone(), body: bytes.Clone(rec.Body)}
			if rng.IntN(2) == 0 {
				rec.Fingerprint = "given-" + strconv.Itoa(step)
			}
			want.fp = cl.fp
			if rec.Fingerprint != "" {
				want.fp = rec.Fingerprint
			}
			if err := s.Complete(ctx, key, cl.token, rec); err != nil {
				t.Fatal(err)
			}
			// The store keeps copies: the caller's values may change.
			for _, vs := range rec.Header {
				for i := range vs {
					vs[i] = "changed"
				}
			}
			clear(rec.Body)
			model[key] = want
			expires[key] = clk.Now().Add(time.Minute)
			delete(tokens, key)
		case op == 8:
			s.Delete(key)
			delete(model, key)
			delete(tokens, key)
		default:
			clk.Advance(time.Duration(rng.IntN(3)) * time.Second)
		}
		if step%500 == 0 {
			check(step)
		}
	}
	check(6000)
}

// TestReplaySharesNothingWithTheStore: a Record handed out stays as it was
// however the store's slab changes afterwards, compaction included.
func TestReplaySharesNothingWithTheStore(t *testing.T) {
	s := NewMemoryStoreWith(MemoryOptions{TTL: time.Hour, Shards: 1})
	defer s.Close()
	ctx := context.Background()
	complete := func(key string, body []byte) {
		c, err := s.Claim(ctx, key, "fp", time.Minute)
		if err != nil || c.State != Acquired {
			t.Fatalf("Claim(%q): %v %v", key, c.State, err)
		}
		if err := s.Complete(ctx, key, c.Token, &Record{Status: 201, Header: http.Header{"Location": {"/" + key}}, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	complete("first", []byte("the first body"))
	got, _ := s.Claim(ctx, "first", "fp", time.Minute)
	want := *got.Record
	want.Header, want.Body = got.Record.Header.Clone(), bytes.Clone(got.Record.Body)
	// Fill and empty the slab around the record many times over, so that
	// its chunk is compacted and the bytes it sat on are reused.
	for round := range 20 {
		for i := range 2000 {
			complete(fmt.Sprint("filler-", round, "-", i), bytes.Repeat([]byte{byte(i)}, 100))
		}
		for i := range 2000 {
			s.Delete(fmt.Sprint("filler-", round, "-", i))
		}
	}
	if !reflect.DeepEqual(*got.Record, want) {
		t.Fatalf("the Record handed out changed: %+v, want %+v", *got.Record, want)
	}
	again, _ := s.Claim(ctx, "first", "fp", time.Minute)
	if string(again.Record.Body) != "the first body" || again.Record.Header.Get("Location") != "/first" {
		t.Fatalf("after compaction the store replays %q %v", again.Record.Body, again.Record.Header)
	}
}

// TestHeaderFieldsInternedOnceRepeated: a field every response repeats is
// kept once per shard; a field unique to each response is never interned.
func TestHeaderFieldsInternedOnceRepeated(t *testing.T) {
	s := NewMemoryStoreWith(MemoryOptions{TTL: time.Hour, Shards: 1})
	defer s.Close()
	ctx := context.Background()
	for i := range 100 {
		key := fmt.Sprint("k", i)
		c, _ := s.Claim(ctx, key, "fp", time.Minute)
		h := http.Header{"Content-Type": {"application/json"}, "Location": {"/things/" + strconv.Itoa(i)}}
		if err := s.Complete(ctx, key, c.Token, &Record{Status: 201, Header: h}); err != nil {
			t.Fatal(err)
		}
	}
	sh := &s.shards[0]
	if n := len(sh.hdr.fields); n != 1 || sh.hdr.fields[0].name != "Content-Type" {
		t.Fatalf("interned %d fields (%+v), want Content-Type alone", n, sh.hdr.fields)
	}
	c, _ := s.Claim(ctx, "k7", "fp", time.Minute)
	if c.Record.Header.Get("Content-Type") != "application/json" || c.Record.Header.Get("Location") != "/things/7" {
		t.Fatalf("replayed header %v", c.Record.Header)
	}
}

// TestMemoryChurnStaysBounded: a store whose keys expire as fast as new
// ones arrive holds about the same heap after many generations of keys as
// after the first few; freed room is reused rather than accumulated.
func TestMemoryChurnStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400,000 records")
	}
	clk := newStepClock()
	s := NewMemoryStoreWith(MemoryOptions{TTL: 10 * time.Second, Shards: 16, clock: clk.Now})
	defer s.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	n := 0
	round := func() {
		for range 2000 {
			key := liveKey('c', n)
			n++
			c, err := s.Claim(ctx, key, "fp", time.Minute)
			if err != nil || c.State != Acquired {
				t.Fatalf("Claim: %v %v", c.State, err)
			}
			// Mixed sizes, so that freed holes rarely fit the next record
			// exactly, and some records with their own chunk.
			rec := &Record{Status: 201, Header: randomHeader(rng, n), Body: randomBody(rng)}
			if rng.IntN(10) == 0 {
				rec.ExpiresAt = clk.Now().Add(time.Duration(1+rng.IntN(30)) * time.Second)
			}
			if err := s.Complete(ctx, key, c.Token, rec); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(time.Second)
		s.sweepAll()
	}
	for range 40 { // past the TTL and the longest expiry: a steady state
		round()
	}
	warm, warmStats := liveHeapInternal(), s.Stats()
	for range 160 {
		round()
	}
	later, laterStats := liveHeapInternal(), s.Stats()
	t.Logf("after %d records: %d entries, %d bytes charged, heap %d; after %d: %d entries, %d bytes charged, heap %d",
		n-160*2000, warmStats.Entries, warmStats.Bytes, warm, n, laterStats.Entries, laterStats.Bytes, later)
	if later > warm+warm/5 {
		t.Fatalf("heap grew from %d to %d bytes under steady churn", warm, later)
	}
	for i := range s.shards {
		for _, sl := range []*slab{&s.shards[i].records, &s.shards[i].claims} {
			if holes := sl.holes(); holes > sl.shared/8+maxChunk {
				t.Errorf("shard %d: %d bytes of holes in a slab of %d", i, holes, sl.shared)
			}
		}
	}
	checkShards(t, s)
	runtime.KeepAlive(s)
}

// TestMemoryStatsBytesMatchHeap: Stats().Bytes, what MaxBytes is charged
// against, is within 20% of the heap the entries really hold, whether the
// records share their headers or each has a Location of its own.
func TestMemoryStatsBytesMatchHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 100,000 entries")
	}
	for _, location := range []bool{false, true} {
		t.Run(fmt.Sprint("location=", location), func(t *testing.T) {
			ls := fillLive(100_000, location)
			st := ls.store.Stats()
			heap := ls.bytes * 100_000
			ratio := float64(st.Bytes) / heap
			t.Logf("%d bytes charged, %.0f bytes of heap (%.2f), %.3f objects per entry", st.Bytes, heap, ratio, ls.objects)
			if ratio < 0.8 || ratio > 1.2 {
				t.Fatalf("Stats().Bytes is %.2f times the heap held", ratio)
			}
			// The entries are a few large objects, not several each.
			if ls.objects > 0.1 {
				t.Fatalf("%.3f heap objects per entry", ls.objects)
			}
			runtime.KeepAlive(ls.store)
		})
	}
}

func liveHeapInternal() int64 { return int64(readHeap().bytes) }

// TestEmptyHeaderReplays: an empty, non-nil Header as a shard's first
// header (no field interned yet) replays as an empty Header, and nil as nil.
func TestEmptyHeaderReplays(t *testing.T) {
	for _, h := range []http.Header{{}, nil} {
		s := NewMemoryStoreWith(MemoryOptions{Shards: 1})
		ctx := context.Background()
		c, _ := s.Claim(ctx, "k", "fp", time.Minute)
		if err := s.Complete(ctx, "k", c.Token, &Record{Status: 204, Header: h}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Claim(ctx, "k", "fp", time.Minute)
		if got.State != Completed || (got.Record.Header == nil) != (h == nil) || len(got.Record.Header) != 0 {
			t.Fatalf("Header %#v replays as %#v", h, got.Record.Header)
		}
		s.Close()
	}
}

// A record larger than the chunk a young shard would start next, but not
// large enough for a chunk of its own, gets a shared chunk that holds it.
func TestRecordsBetweenChunkSizes(t *testing.T) {
	for _, n := range []int{minChunk - recHeader, minChunk, minChunk + 1, 10170, 2*minChunk + 7, ownChunkMin - 200, ownChunkMin - 1, ownChunkMin} {
		s := NewMemoryStoreWith(MemoryOptions{Shards: 1})
		ctx := context.Background()
		body := bytes.Repeat([]byte{'x'}, n)
		for i, key := range []string{"small", "large"} {
			b := body
			if i == 0 {
				b = []byte("{}")
			}
			c, _ := s.Claim(ctx, key, "fp", time.Minute)
			if err := s.Complete(ctx, key, c.Token, &Record{Status: 201, Body: b}); err != nil {
				t.Fatalf("a body of %d bytes: %v", n, err)
			}
		}
		got, _ := s.Claim(ctx, "large", "fp", time.Minute)
		if got.State != Completed || !bytes.Equal(got.Record.Body, body) {
			t.Fatalf("a body of %d bytes replays as %d bytes", n, len(got.Record.Body))
		}
		s.Close()
	}
}
