package idempotency_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// benchKey makes a key shaped like the middleware's: a 43-character
// base64url hash. Fingerprints have the same shape.
func benchKey(kind string, i uint64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], i)
	sum := sha256.Sum256(append([]byte(kind), b[:]...))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// benchBody is about the size of the JSON body the middleware benchmarks use.
const benchBodyLen = 200

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type millionStore struct {
	store                *idempotency.MemoryStore
	overhead, structural float64
	payload              float64
	total                float64 // all the heap the store holds, per entry
}

// fillMillion builds a store of 1,000,000 records and measures its heap.
func fillMillion() (r millionStore) {
	const n = 1_000_000
	base := heapInUse()
	// What the entries carry: each its own body and header map, as the
	// middleware stores them.
	bodies := make([][]byte, n)
	headers := make([]http.Header, n)
	for i := range n {
		bodies[i] = make([]byte, benchBodyLen)
		headers[i] = http.Header{"Content-Type": {"application/json"}, "Location": {"/v1/payments/" + fmt.Sprint(i)}}
	}
	withPayload := heapInUse()
	keys := make([]string, n)
	fps := make([]string, n)
	for i := range n {
		keys[i] = benchKey("k", uint64(i))
		fps[i] = benchKey("f", uint64(i))
	}
	withKeys := heapInUse()
	// The slices of references themselves are not part of any entry.
	r.payload = float64(int64(withPayload-base)-int64(n*(24+8))) / n
	keyBytes := float64(int64(withKeys-withPayload)-int64(n*(16+16))) / n

	s := idempotency.NewMemoryStore(time.Hour)
	ctx := context.Background()
	for i := range n {
		c, err := s.Claim(ctx, keys[i], fps[i], time.Minute)
		if err != nil || c.State != idempotency.Acquired {
			panic(fmt.Sprintf("filling the store: %v %v", c.State, err))
		}
		rec := &idempotency.Record{Fingerprint: fps[i], Status: 201, Header: headers[i], Body: bodies[i]}
		if err := s.Complete(ctx, keys[i], c.Token, rec); err != nil {
			panic(err)
		}
	}
	bodies, headers, keys, fps = nil, nil, nil, nil
	full := heapInUse()
	if st := s.Stats(); st.Entries != n {
		panic(fmt.Sprintf("store holds %d entries, want %d", st.Entries, n))
	}
	perEntry := float64(int64(full-base)) / n
	r.total = perEntry
	r.overhead = perEntry - r.payload
	r.structural = r.overhead - keyBytes
	r.store = s
	return r
}

// BenchmarkMemoryStoreMillionEntries reports the memory a MemoryStore
// holding 1,000,000 live records spends per entry beyond the stored body
// and headers: B/entry counts the key and fingerprint strings (43 bytes
// each, as the middleware makes them), B/entry-structural leaves them out.
// Both subtract the caller's body and header allocations (B/payload),
// which a store that copies them into slabs frees: for such a store only
// B/entry-total, everything the store holds, compares.
// Each op is a replay lookup in that store. Building it takes some seconds,
// once per -count, since b.Loop runs the function once; the store is
// garbage when the function returns, so later benchmarks do not carry it.
func BenchmarkMemoryStoreMillionEntries(b *testing.B) {
	r := fillMillion()
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = benchKey("k", uint64(i*977))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c, err := r.store.Claim(ctx, keys[i&1023], "x", time.Minute)
		if err != nil || c.State != idempotency.Completed {
			b.Fatalf("lookup: %v %v", c.State, err)
		}
	}
	// Reported after the loop: resetting the timer drops extra metrics.
	b.ReportMetric(r.overhead, "B/entry")
	b.ReportMetric(r.structural, "B/entry-structural")
	b.ReportMetric(r.payload, "B/payload")
	b.ReportMetric(r.total, "B/entry-total")
}

func benchRecord() *idempotency.Record {
	return &idempotency.Record{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: make([]byte, benchBodyLen)}
}

// BenchmarkMemoryStoreClaimComplete is the miss path: a claim on a new key
// and its completion. The store keeps every entry the run creates.
// "sharded" uses the default shard count, "1shard" one lock for all keys;
// the parallel variants show what sharding buys under contention.
func BenchmarkMemoryStoreClaimComplete(b *testing.B) {
	for _, shards := range []int{0, 1} {
		name := "sharded"
		if shards == 1 {
			name = "1shard"
		}
		b.Run(name+"/serial", func(b *testing.B) {
			s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{TTL: time.Hour, Shards: shards})
			defer s.Close()
			keys := make([]string, b.N)
			for i := range keys {
				keys[i] = benchKey("s", uint64(i))
			}
			rec := benchRecord()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				claimComplete(b, s, ctx, keys[i], rec)
			}
		})
		b.Run(name+"/parallel", func(b *testing.B) {
			s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{TTL: time.Hour, Shards: shards})
			defer s.Close()
			keys := make([]string, b.N)
			for i := range keys {
				keys[i] = benchKey("p", uint64(i))
			}
			rec := benchRecord()
			ctx := context.Background()
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					claimComplete(b, s, ctx, keys[next.Add(1)-1], rec)
				}
			})
		})
	}
}

// claimComplete reports failure with Errorf, which, unlike Fatal, may be
// called from RunParallel's goroutines.
func claimComplete(b *testing.B, s *idempotency.MemoryStore, ctx context.Context, key string, rec *idempotency.Record) {
	c, err := s.Claim(ctx, key, "fp", time.Minute)
	if err != nil || c.State != idempotency.Acquired {
		b.Errorf("Claim: %v %v", c.State, err)
		return
	}
	r := *rec
	if err := s.Complete(ctx, key, c.Token, &r); err != nil {
		b.Error(err)
	}
}

// BenchmarkMemoryStoreReplay is the hit path: a claim on a completed key,
// from many goroutines on distinct keys and on one key.
func BenchmarkMemoryStoreReplay(b *testing.B) {
	s := idempotency.NewMemoryStore(time.Hour)
	defer s.Close()
	ctx := context.Background()
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = benchKey("r", uint64(i))
		c, _ := s.Claim(ctx, keys[i], "fp", time.Minute)
		if err := s.Complete(ctx, keys[i], c.Token, benchRecord()); err != nil {
			b.Fatal(err)
		}
	}
	replay := func(b *testing.B, key string) {
		c, err := s.Claim(ctx, key, "fp", time.Minute)
		if err != nil || c.State != idempotency.Completed {
			b.Errorf("replay: %v %v", c.State, err)
		}
	}
	b.Run("distinct", func(b *testing.B) {
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 1031
			for pb.Next() {
				i++
				replay(b, keys[i&4095])
			}
		})
	})
	b.Run("samekey", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				replay(b, keys[0])
			}
		})
	})
}
