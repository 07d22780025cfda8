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
	idempotency.SetMemoryClock(&opts, clk.Now)
	s := idempotency.NewMemoryStoreWith(opts)
	t.Cleanup(func() { _ = s.Close() })
	return s, clk
}

// mustClaim is this package's shorthand for [storetest.MustClaim]: the
// fingerprint follows the key, the lease is long, and any state is
// accepted, since the callers check it themselves.
func mustClaim(t *testing.T, s *idempotency.MemoryStore, key string) idempotency.Claim {
	t.Helper()
	return storetest.MustClaim(t, s, key, "fp-"+key, time.Minute, 0)
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
