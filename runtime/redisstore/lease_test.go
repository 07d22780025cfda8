package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	old, _ := s.Claim(ctx, "k", "fp", 50*time.Millisecond)
	time.Sleep(120 * time.Millisecond)

	c, err := s.Claim(ctx, "k", "fp", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != idempotency.Acquired || !c.TakenOver || c.Token == old.Token {
		t.Fatalf("claim after the lease = %+v, want a takeover", c)
	}
	for name, err := range map[string]error{
		"Complete": s.Complete(ctx, "k", old.Token, sampleRecord("stale")),
		"Renew":    s.Renew(ctx, "k", old.Token, time.Minute),
		"Abandon":  s.Abandon(ctx, "k", old.Token),
	} {
		if !errors.Is(err, idempotency.ErrNotOwner) {
			t.Errorf("stale owner's %s: %v, want ErrNotOwner", name, err)
		}
	}
	want := sampleRecord("fp")
	if err := s.Complete(ctx, "k", c.Token, want); err != nil {
		t.Fatal(err)
	}
	done, _ := s.Claim(ctx, "k", "fp", time.Minute)
	assertRecord(t, done.Record, want)
}

func TestRenewKeepsALiveOwner(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	c, _ := s.Claim(ctx, "k", "fp", 80*time.Millisecond)
	for range 4 {
		time.Sleep(40 * time.Millisecond)
		if err := s.Renew(ctx, "k", c.Token, 80*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Claim(ctx, "k", "fp", time.Second); got.State != idempotency.InFlight {
		t.Fatalf("renewed claim was lost: %+v", got)
	}
	if err := s.Renew(ctx, "k", "other", time.Second); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Renew by a foreign token: %v", err)
	}
	if err := s.Complete(ctx, "k", c.Token, sampleRecord("fp")); err != nil {
		t.Fatalf("Complete after renewals: %v", err)
	}
}

func TestRecordExpires(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	c, _ := s.Claim(ctx, "k", "fp", time.Minute)
	rec := sampleRecord("fp")
	rec.ExpiresAt = time.Now().Add(100 * time.Millisecond)
	if err := s.Complete(ctx, "k", c.Token, rec); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Claim(ctx, "k", "fp", time.Minute); got.State != idempotency.Completed {
		t.Fatalf("before expiry: %+v", got)
	}
	time.Sleep(200 * time.Millisecond)
	if got, _ := s.Claim(ctx, "k", "fp", time.Minute); got.State != idempotency.Acquired || got.TakenOver {
		t.Fatalf("after expiry: %+v, want a fresh acquire", got)
	}
}

func TestPendingClaimOutlivesShortTTL(t *testing.T) {
	s, client := newTestStore(t, WithTTL(100*time.Millisecond))
	ctx := context.Background()
	c, _ := s.Claim(ctx, "k", "fp", time.Second)
	if pttl := client.PTTL(ctx, s.keys("k")[0]).Val(); pttl < 1900*time.Millisecond {
		t.Fatalf("pending record PTTL %v, want at least twice the lease", pttl)
	}
	time.Sleep(300 * time.Millisecond)
	if got, _ := s.Claim(ctx, "k", "fp", time.Second); got.State != idempotency.InFlight {
		t.Fatalf("claim vanished with the short TTL while its lease ran: %+v", got)
	}
	if err := s.Renew(ctx, "k", c.Token, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if pttl := client.PTTL(ctx, s.keys("k")[0]).Val(); pttl < 9*time.Second {
		t.Fatalf("record PTTL %v after renewing for 5s, want at least 10s", pttl)
	}
}
