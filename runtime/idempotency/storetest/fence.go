package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// testFence follows one key through every way it can be acquired (fresh,
// after an abandon, by a takeover, after its record expired) and checks
// that each owner's fence is larger than every earlier owner's, so that a
// downstream system comparing fences refuses the stale owner.
func testFence(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("fence")
	var last uint64
	next := func(what string, c idempotency.Claim) {
		t.Helper()
		if c.State != idempotency.Acquired {
			t.Fatalf("%s: state %v, want acquired", what, c.State)
		}
		if c.Fence == 0 {
			t.Fatalf("%s: fence 0; a ClaimStore gives every owner a fence (see Claim.Fence)", what)
		}
		if c.Fence <= last {
			t.Fatalf("%s: fence %d, not larger than the earlier owner's %d", what, c.Fence, last)
		}
		last = c.Fence
	}
	first := s.claim(t, key, "fp-1")
	next("a fresh key", first)
	if err := s.store.Abandon(ctx, key, first.Token); err != nil {
		t.Fatalf("Abandon: %v", err)
	}
	short := s.claimLease(t, key, "fp-2", s.opts.Lease)
	next("after an abandon", short)

	var c idempotency.Claim
	s.poll(t, "lease expired and taken over", func() bool {
		c = s.claim(t, key, "fp-3")
		return c.State == idempotency.Acquired
	})
	next("a takeover", c)
	rec := record("fp-3", 201, []byte("done"))
	rec.ExpiresAt = time.Now().Add(s.opts.Lease)
	s.complete(t, key, c.Token, rec)
	s.poll(t, "record expired", func() bool {
		c = s.claim(t, key, "fp-4")
		return c.State == idempotency.Acquired
	})
	next("after the record expired", c)
}

func (s *suite) claimLease(t *testing.T, key, fp string, lease time.Duration) idempotency.Claim {
	t.Helper()
	c, err := s.store.Claim(context.Background(), key, fp, lease)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	return c
}
