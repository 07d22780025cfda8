package redisstore

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func TestSeedStore(t *testing.T) {
	s, client := newTestStore(t)
	if _, ok := s.Get("k"); ok {
		t.Fatal("Get on an empty store found something")
	}
	if !s.Lock("k") {
		t.Fatal("first Lock failed")
	}
	if s.Lock("k") {
		t.Fatal("second Lock succeeded while the first holds")
	}
	now := time.Now()
	s.Set("k", &idempotency.CachedResponse{
		StatusCode: 201, Headers: map[string]string{"Content-Type": "application/json"},
		Body: []byte(`{}`), CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	})
	s.Unlock("k")
	if !s.Lock("k") {
		t.Fatal("Lock after Unlock failed")
	}
	s.Unlock("k")

	got, ok := s.Get("k")
	if !ok || got.StatusCode != 201 || got.Headers["Content-Type"] != "application/json" ||
		string(got.Body) != `{}` || !got.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("Get = %+v, %v", got, ok)
	}
	if pttl := client.PTTL(context.Background(), s.keys("k")[0]).Val(); pttl <= 0 || pttl > time.Minute {
		t.Fatalf("record PTTL %v, want its ExpiresAt", pttl)
	}
	s.Delete("k")
	if _, ok := s.Get("k"); ok {
		t.Fatal("Get after Delete found the record")
	}
	s.Set("k", nil) // ignored, no panic
}

func TestSeedAndClaimShareKeys(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	c, _ := s.Claim(ctx, "k", "fp", time.Minute)
	if s.Lock("k") {
		t.Fatal("seed Lock succeeded over a claim")
	}
	s.Unlock("k") // must not release the claim
	if got, _ := s.Claim(ctx, "k", "fp", time.Minute); got.State != idempotency.InFlight {
		t.Fatalf("seed Unlock released a claim: %+v", got)
	}
	rec := sampleRecord("fp")
	rec.Header = http.Header{"Link": {"<a>", "<b>"}}
	if err := s.Complete(ctx, "k", c.Token, rec); err != nil {
		t.Fatal(err)
	}
	got, ok := s.Get("k")
	if !ok || got.StatusCode != 201 || got.Headers["Link"] != "<a>, <b>" {
		t.Fatalf("seed Get of a completed claim = %+v, %v", got, ok)
	}

	if !s.Lock("seed") {
		t.Fatal("Lock failed")
	}
	if got, _ := s.Claim(ctx, "seed", "fp", time.Minute); got.State != idempotency.InFlight {
		t.Fatalf("Claim over a seed Lock = %+v, want in flight", got)
	}
}

func TestSeedLockLeaseExpires(t *testing.T) {
	s, _ := newTestStore(t, WithLockLease(50*time.Millisecond))
	if !s.Lock("k") {
		t.Fatal("Lock failed")
	}
	time.Sleep(100 * time.Millisecond)
	if !s.Lock("k") {
		t.Fatal("a lock whose owner never unlocked did not expire")
	}
}

func TestSeedFailsClosedWhenUnreachable(t *testing.T) {
	s := New(unreachableClient(t), WithTimeout(200*time.Millisecond))
	if s.Lock("k") {
		t.Fatal("Lock succeeded without a server")
	}
	if _, ok := s.Get("k"); ok {
		t.Fatal("Get found a record without a server")
	}
	s.Set("k", &idempotency.CachedResponse{StatusCode: 200})
	s.Delete("k")
	s.Unlock("k")
}
