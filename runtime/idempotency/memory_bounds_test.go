package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func TestMemoryStoreEvictsOldestCompleted(t *testing.T) {
	s, clk := newClocked(t, idempotency.MemoryOptions{MaxEntries: 4})
	for i := range 4 {
		mustComplete(t, s, fmt.Sprint("k", i), 10)
		clk.Advance(time.Second)
	}
	mustComplete(t, s, "k4", 10)
	if c := mustClaim(t, s, "k0"); c.State != idempotency.Acquired {
		t.Fatalf("oldest record: state %v, want evicted", c.State)
	}
	// Claiming k0 above evicted k1, the next oldest; k2..k4 remain.
	for _, k := range []string{"k2", "k3", "k4"} {
		if c := mustClaim(t, s, k); c.State != idempotency.Completed {
			t.Fatalf("%s: state %v, want completed", k, c.State)
		}
	}
	if st := s.Stats(); st.Entries != 4 || st.Evictions != 2 || st.InFlight != 1 {
		t.Fatalf("stats %+v, want 4 entries, 1 in flight, 2 evictions", st)
	}
}

func TestMemoryStoreNeverEvictsInFlight(t *testing.T) {
	s, _ := newClocked(t, idempotency.MemoryOptions{MaxEntries: 3})
	for i := range 3 {
		if c := mustClaim(t, s, fmt.Sprint("k", i)); c.State != idempotency.Acquired {
			t.Fatalf("state %v", c.State)
		}
	}
	_, err := s.Claim(context.Background(), "k3", "fp", time.Minute)
	if !errors.Is(err, idempotency.ErrStoreFull) {
		t.Fatalf("Claim on a store full of live claims: %v, want ErrStoreFull", err)
	}
	if s.Lock("k3") {
		t.Fatal("Lock on a full store succeeded")
	}
	for i := range 3 {
		if c := mustClaim(t, s, fmt.Sprint("k", i)); c.State != idempotency.InFlight {
			t.Fatalf("k%d: state %v, want still in flight", i, c.State)
		}
	}
}

func TestMemoryStoreEvictsLapsedClaim(t *testing.T) {
	s, clk := newClocked(t, idempotency.MemoryOptions{MaxEntries: 1})
	mustClaim(t, s, "a") // lease 1m, never finished
	clk.Advance(2 * time.Minute)
	if c := mustClaim(t, s, "b"); c.State != idempotency.Acquired {
		t.Fatalf("Claim with only a lapsed claim in the way: %v, want acquired", c.State)
	}
}

func TestMemoryStoreMaxBytes(t *testing.T) {
	s, _ := newClocked(t, idempotency.MemoryOptions{MaxBytes: 1 << 20})
	for i := range 40 {
		mustComplete(t, s, fmt.Sprint("k", i), 100<<10)
	}
	st := s.Stats()
	if st.Bytes > 1<<20 || st.Entries > 10 || st.Evictions < 30 {
		t.Fatalf("stats %+v, want at most 1 MiB, 10 entries, 30+ evictions", st)
	}
	c := mustClaim(t, s, "huge")
	err := s.Complete(context.Background(), "huge", c.Token, &idempotency.Record{Status: 200, Body: make([]byte, 2<<20)})
	if !errors.Is(err, idempotency.ErrRecordTooLarge) || errors.Is(err, idempotency.ErrStoreFull) {
		t.Fatalf("Complete with a record larger than the cap: %v, want ErrRecordTooLarge, not ErrStoreFull", err)
	}
	if c2 := mustClaim(t, s, "huge"); c2.State != idempotency.InFlight {
		t.Fatalf("after a refused Complete the claim must stay: %v", c2.State)
	}
	if err := s.Abandon(context.Background(), "huge", c.Token); err != nil {
		t.Fatalf("Abandon after a refused Complete: %v", err)
	}
}

func TestMemoryStoreReclaimsOnWrites(t *testing.T) {
	s, clk := newClocked(t, idempotency.MemoryOptions{TTL: time.Second, Shards: 1})
	for i := range 100 {
		mustComplete(t, s, fmt.Sprint("old", i), 0)
	}
	clk.Advance(2 * time.Second)
	for i := range 60 {
		mustComplete(t, s, fmt.Sprint("new", i), 0)
	}
	if st := s.Stats(); st.Entries != 60 || st.Expired != 100 {
		t.Fatalf("stats %+v: writes should have reclaimed all 100 expired entries", st)
	}
}

func TestMemoryStoreJanitor(t *testing.T) {
	s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{SweepInterval: 5 * time.Millisecond})
	defer s.Close()
	ctx := context.Background()
	for i := range 50 {
		c := mustClaim(t, s, fmt.Sprint("k", i))
		exp := time.Now().Add(20 * time.Millisecond)
		if err := s.Complete(ctx, fmt.Sprint("k", i), c.Token, &idempotency.Record{Status: 200, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Entries > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("janitor left %+v", s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMemoryStoreCloseLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{SweepInterval: time.Millisecond})
		mustComplete(t, s, "k", 10)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := s.Claim(context.Background(), "k", "fp", time.Minute); !errors.Is(err, idempotency.ErrStoreClosed) {
			t.Fatalf("Claim after Close: %v, want ErrStoreClosed", err)
		}
		if _, ok := s.Get("k"); ok || s.Lock("k") {
			t.Fatal("a closed store still answers Get or Lock")
		}
		s.Set("k", &idempotency.CachedResponse{StatusCode: 200})
		s.Delete("k")
		s.Unlock("k")
		if st := s.Stats(); st.Entries != 0 || st.Bytes != 0 {
			t.Fatalf("closed store holds %+v", st)
		}
	}
	// Close waits for its janitor; the grace only absorbs goroutines of
	// other tests that were still winding down.
	if after := settledGoroutines(before); after > before {
		t.Fatalf("%d goroutines before, %d after closing every store", before, after)
	}
}

// TestMemoryStoreMaxBytesBoundsHeap checks MaxBytes against the heap the
// store really holds, headers and all, not only against its own count.
func TestMemoryStoreMaxBytesBoundsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 16 MiB")
	}
	const limit = 16 << 20
	before := liveHeap()
	s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxBytes: limit})
	ctx := context.Background()
	for i := range 100_000 {
		key := fmt.Sprintf("key-%08d-%s", i, "0123456789abcdef0123456789")
		c, err := s.Claim(ctx, key, "fingerprint-0123456789abcdef0123456789abc", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		rec := &idempotency.Record{
			Status: 201,
			Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/v1/things/" + key}},
			Body:   make([]byte, 120),
		}
		if err := s.Complete(ctx, key, c.Token, rec); err != nil {
			t.Fatal(err)
		}
	}
	held := liveHeap() - before
	st := s.Stats()
	if st.Bytes > limit || st.Evictions == 0 {
		t.Fatalf("stats %+v: want at most %d bytes charged, and evictions", st, limit)
	}
	// Charges are estimates; the real heap may differ a little either way.
	if held > limit*5/4 {
		t.Fatalf("store of %d entries holds %d bytes of heap, over 1.25x the %d-byte cap", st.Entries, held, limit)
	}
	t.Logf("%d entries, %d bytes charged, %d bytes of heap", st.Entries, st.Bytes, held)
	runtime.KeepAlive(s)
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
