package idempotency_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Times beyond what int64 nanoseconds hold must not wrap into the past.
func TestMemoryStoreExtremeTimes(t *testing.T) {
	s := idempotency.NewMemoryStore(time.Hour)
	ctx := context.Background()
	c, err := s.Claim(ctx, "k", "fp", time.Duration(math.MaxInt64))
	if err != nil || c.State != idempotency.Acquired {
		t.Fatalf("Claim with the longest lease: %v %v", c.State, err)
	}
	if c2 := mustClaim(t, s, "k"); c2.State != idempotency.InFlight {
		t.Fatalf("after the longest lease: %v; want in flight (a wrapped lease end reads as expired)", c2.State)
	}
	if err := s.Renew(ctx, "k", c.Token, time.Duration(math.MaxInt64)); err != nil {
		t.Fatal(err)
	}
	never := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	ancient := time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)
	if err := s.Complete(ctx, "k", c.Token, &idempotency.Record{Status: 200, CreatedAt: ancient, ExpiresAt: never}); err != nil {
		t.Fatal(err)
	}
	got := mustClaim(t, s, "k")
	if got.State != idempotency.Completed || !got.Record.ExpiresAt.After(time.Now().AddDate(200, 0, 0)) {
		t.Fatalf("record expiring in 9999: %v, expires %v", got.State, got.Record)
	}
	if !got.Record.CreatedAt.Before(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("CreatedAt in year 1 came back as %v", got.Record.CreatedAt)
	}
}

// Owners and the seed API on one key: the stronger contract wins.
func TestMemoryStoreSeedAndClaimShareKeys(t *testing.T) {
	s := idempotency.NewMemoryStore(time.Hour)
	if !s.Lock("k") {
		t.Fatal("Lock failed")
	}
	if c := mustClaim(t, s, "k"); c.State != idempotency.InFlight {
		t.Fatalf("Claim on a Lock-held key: %v, want in flight", c.State)
	}
	s.Set("k", &idempotency.CachedResponse{StatusCode: 201, Body: []byte("x")})
	if s.Lock("k") {
		t.Fatal("Lock on a key holding a response succeeded")
	}
	s.Unlock("k") // must not drop the response
	if c := mustClaim(t, s, "k"); c.State != idempotency.Completed || string(c.Record.Body) != "x" {
		t.Fatalf("after Set and Unlock: %v", c.State)
	}
	s.Delete("k")
	if _, ok := s.Get("k"); ok {
		t.Fatal("Get after Delete found a response")
	}
	c := mustClaim(t, s, "k")
	s.Delete("k") // drops the claim too
	if err := s.Complete(context.Background(), "k", c.Token, &idempotency.Record{}); err != idempotency.ErrNotOwner {
		t.Fatalf("Complete after Delete: %v, want ErrNotOwner", err)
	}
}
