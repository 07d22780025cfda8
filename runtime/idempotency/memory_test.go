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
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) idempotency.ClaimStore {
		s := idempotency.NewMemoryStore(time.Hour)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// A bounded store with a janitor must pass the same contract.
func TestMemoryStoreContractBounded(t *testing.T) {
	opts := storetest.Options{}
	if testing.Short() {
		opts.Rounds = 100
	}
	storetest.RunWith(t, opts, func(t *testing.T) idempotency.ClaimStore {
		s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{
			TTL: time.Hour, MaxEntries: 100_000, MaxBytes: 1 << 30, SweepInterval: 10 * time.Millisecond,
		})
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestMemoryStoreSeedContract(t *testing.T) {
	storetest.RunSeed(t, func(t *testing.T) idempotency.Store {
		s := idempotency.NewMemoryStore(time.Hour)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// fakeClock is a settable clock for expiry tests that must not sleep.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func newClocked(t *testing.T, opts idempotency.MemoryOptions) (*idempotency.MemoryStore, *fakeClock) {
	clk := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	opts.Clock = clk.Now
	s := idempotency.NewMemoryStoreWith(opts)
	t.Cleanup(func() { _ = s.Close() })
	return s, clk
}

func mustClaim(t *testing.T, s *idempotency.MemoryStore, key string) idempotency.Claim {
	t.Helper()
	c, err := s.Claim(context.Background(), key, "fp-"+key, time.Minute)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	return c
}

func mustComplete(t *testing.T, s *idempotency.MemoryStore, key string, body int) {
	t.Helper()
	c := mustClaim(t, s, key)
	if c.State != idempotency.Acquired {
		t.Fatalf("Claim(%q): %v, want acquired", key, c.State)
	}
	if err := s.Complete(context.Background(), key, c.Token, &idempotency.Record{Status: 201, Body: make([]byte, body)}); err != nil {
		t.Fatalf("Complete(%q): %v", key, err)
	}
}

func TestMemoryStoreTTLDefaults(t *testing.T) {
	if got := idempotency.NewMemoryStore(time.Minute).TTL(); got != time.Minute {
		t.Fatalf("TTL() = %v, want 1m", got)
	}
	if got := idempotency.NewMemoryStore(0).TTL(); got != idempotency.DefaultTTL {
		t.Fatalf("TTL() with ttl 0 = %v, want DefaultTTL", got)
	}
	s, clk := newClocked(t, idempotency.MemoryOptions{TTL: time.Minute})
	mustComplete(t, s, "k", 0)
	c := mustClaim(t, s, "k")
	if c.State != idempotency.Completed {
		t.Fatalf("state %v, want completed", c.State)
	}
	if want := clk.now.Add(time.Minute); !c.Record.ExpiresAt.Equal(want) || !c.Record.CreatedAt.Equal(clk.now) {
		t.Fatalf("record without times: created %v expires %v, want %v and %v", c.Record.CreatedAt, c.Record.ExpiresAt, clk.now, want)
	}
	if c.Fingerprint != "fp-k" {
		t.Fatalf("record without fingerprint: got %q, want the claim's fp-k", c.Fingerprint)
	}
	clk.Advance(time.Minute)
	if c := mustClaim(t, s, "k"); c.State != idempotency.Acquired {
		t.Fatalf("after the TTL: state %v, want acquired", c.State)
	}
}

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
	if !errors.Is(err, idempotency.ErrStoreFull) {
		t.Fatalf("Complete with a record larger than the cap: %v, want ErrStoreFull", err)
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

func TestDefaultStore(t *testing.T) {
	before := runtime.NumGoroutine()
	s := idempotency.GetDefaultStore()
	if s != idempotency.GetDefaultStore() {
		t.Fatal("GetDefaultStore returned two stores")
	}
	if s.TTL() != idempotency.DefaultTTL {
		t.Fatalf("default store TTL %v", s.TTL())
	}
	if err := s.Close(); err == nil {
		t.Fatal("closing the process-wide store succeeded")
	}
	key := fmt.Sprintf("default-store-test-%d", time.Now().UnixNano())
	if !s.Lock(key) {
		t.Fatal("Lock on the default store failed after a refused Close")
	}
	s.Unlock(key)
	if after := settledGoroutines(before); after > before {
		t.Fatalf("the default store started %d goroutines", after-before)
	}
}

func TestMemoryStoreSeedHeaders(t *testing.T) {
	s := idempotency.NewMemoryStore(time.Hour)
	ctx := context.Background()
	c := mustClaim(t, s, "k")
	h := http.Header{"Link": {"<a>", "<b>"}, "Content-Type": {"text/plain"}}
	if err := s.Complete(ctx, "k", c.Token, &idempotency.Record{Status: 200, Header: h}); err != nil {
		t.Fatal(err)
	}
	got, ok := s.Get("k")
	if !ok || got.Headers["Link"] != "<a>, <b>" || got.Headers["Content-Type"] != "text/plain" {
		t.Fatalf("Get = %+v, want multi-valued headers joined by \", \"", got)
	}
	// Set from the seed API is visible to Claim, one value per header.
	s.Set("s", &idempotency.CachedResponse{StatusCode: 202, Headers: map[string]string{"X": "1"}})
	if c := mustClaim(t, s, "s"); c.State != idempotency.Completed || c.Record.Status != 202 || c.Record.Header.Get("X") != "1" {
		t.Fatalf("Claim after Set: %+v", c)
	}
	// Unlock releases only Lock's own claim, never a Claim owner's.
	c = mustClaim(t, s, "owned")
	s.Unlock("owned")
	if err := s.Complete(ctx, "owned", c.Token, &idempotency.Record{Status: 200}); err != nil {
		t.Fatalf("Complete after someone's Unlock: %v", err)
	}
	s.Set("nil", nil)
	if _, ok := s.Get("nil"); ok {
		t.Fatal("Set(nil) stored something")
	}
}

func TestMemoryStoreBadInput(t *testing.T) {
	s := idempotency.NewMemoryStore(time.Hour)
	ctx := context.Background()
	if _, err := s.Claim(ctx, "k", "fp", 0); err == nil {
		t.Fatal("Claim with a zero lease accepted")
	}
	c := mustClaim(t, s, "k")
	if err := s.Complete(ctx, "k", c.Token, nil); err == nil {
		t.Fatal("Complete with a nil record accepted")
	}
	if err := s.Renew(ctx, "k", c.Token, -time.Second); err == nil {
		t.Fatal("Renew with a negative lease accepted")
	}
	// Tokens from another store are refused even if the key matches.
	other := idempotency.NewMemoryStore(time.Hour)
	oc := mustClaim(t, other, "k")
	if err := s.Complete(ctx, "k", oc.Token, &idempotency.Record{}); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("foreign token: %v, want ErrNotOwner", err)
	}
	// A record that has already expired frees the key.
	if err := s.Complete(ctx, "k", c.Token, &idempotency.Record{Status: 200, ExpiresAt: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if c := mustClaim(t, s, "k"); c.State != idempotency.Acquired {
		t.Fatalf("after an expired record: %v, want acquired", c.State)
	}
}

// settledGoroutines returns the goroutine count once it is at most want,
// or after a second.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(10 * time.Millisecond)
	}
}
