package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// A swept row takes the key's fence history with it; the clock floor must
// still give the next owner a larger fence. The storetest FenceGrows check
// covers the other ways a key is acquired.
func TestFenceGrowsAfterSweep(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(ctx, "k", a.Token, &idempotency.Record{Status: 200, ExpiresAt: time.Now().Add(50 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n, err := s.DeleteExpired(ctx, 10); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want the record swept", n, err)
	}
	b := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if b.Fence <= a.Fence {
		t.Fatalf("fence after the sweep %d, not larger than the swept owner's %d", b.Fence, a.Fence)
	}
}

// A retry of the same claim (same token, after a lost reply) is the same
// acquisition and keeps its fence; anyone else's is larger.
func TestSameTokenKeepsFence(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	first, err := s.claimOnce(ctx, "k", "fp", "tok", 50*time.Millisecond)
	if err != nil || first.Fence == 0 {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := s.claimOnce(ctx, "k", "fp", "tok", 50*time.Millisecond)
	if err != nil || again.Fence != first.Fence {
		t.Fatalf("retry with the same token: fence %d, %v; want %d", again.Fence, err, first.Fence)
	}
	time.Sleep(100 * time.Millisecond)
	other, err := s.claimOnce(ctx, "k", "fp", "tok2", time.Minute)
	if err != nil || !other.TakenOver || other.Fence <= first.Fence {
		t.Fatalf("takeover = %+v, %v; want a fence above %d", other, err, first.Fence)
	}
}
