package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// testTakeover lets an owner's lease lapse, as when its process dies, and
// checks that the next claim takes over and the old owner is fenced off.
func testTakeover(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("takeover")
	start := time.Now()
	old := s.acquire(t, key, "fp-old", s.opts.Lease)
	var c idempotency.Claim
	s.poll(t, "lease expired and taken over", func() bool {
		var err error
		c, err = s.store.Claim(ctx, key, "fp-new", longLease)
		if err != nil {
			t.Fatalf("Claim while waiting for the lease to lapse: %v", err)
		}
		switch c.State {
		case idempotency.InFlight:
			if c.Fingerprint != "fp-old" {
				t.Fatalf("in-flight fingerprint %q, want fp-old", c.Fingerprint)
			}
			return false
		case idempotency.Acquired:
			return true
		}
		t.Fatalf("Claim after the lease lapsed: state %v, want in-flight or acquired", c.State)
		return false
	})
	if waited := time.Since(start); waited < s.opts.Lease {
		t.Fatalf("taken over after %v, before the %v lease ran out", waited, s.opts.Lease)
	}
	if !c.TakenOver {
		t.Fatal("Claim after the lease lapsed: acquired without TakenOver")
	}
	if c.Token == "" || c.Token == old {
		t.Fatalf("takeover token %q must be new and non-empty (old %q)", c.Token, old)
	}
	// The old owner wakes up late: every call is refused, nothing changes.
	expectNotOwner(t, "late Complete by the old owner", s.store.Complete(ctx, key, old, record("fp-old", 200, []byte("late"))))
	expectNotOwner(t, "late Renew by the old owner", s.store.Renew(ctx, key, old, longLease))
	expectNotOwner(t, "late Abandon by the old owner", s.store.Abandon(ctx, key, old))
	s.expectInFlight(t, key, "fp-new")
	want := record("fp-new", 201, []byte("new owner"))
	s.complete(t, key, c.Token, want)
	checkRecord(t, s.expectCompleted(t, key, "fp-new"), want)
}

// testRenew keeps renewing a short lease for several lease lengths and
// checks that nobody takes the key over meanwhile.
func testRenew(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("renew")
	lease := s.opts.Lease
	start := time.Now()
	tok := s.acquire(t, key, "fp-owner", lease)
	checked := 0
	lastRenewed := start // the lease runs until at least lastRenewed+lease
	for time.Since(start) < 4*lease {
		time.Sleep(lease / 5)
		renewed := time.Now()
		if err := s.store.Renew(ctx, key, tok, lease); err != nil {
			if time.Since(lastRenewed) >= lease {
				t.Skipf("the machine was too slow to renew within one lease (%v): %v", time.Since(lastRenewed), err)
			}
			t.Fatalf("Renew by the live owner %v after its last renewal: %v", time.Since(lastRenewed), err)
		}
		lastRenewed = renewed
		c := s.claim(t, key, "fp-intruder")
		// A claim answered within one lease of the renewal must see the
		// owner; later than that, a slow machine is to blame, not the store.
		if time.Since(renewed) >= lease {
			continue
		}
		checked++
		if c.State != idempotency.InFlight || c.Fingerprint != "fp-owner" {
			t.Fatalf("Claim %v after a renewal: state %v fingerprint %q, want in-flight by fp-owner", time.Since(renewed), c.State, c.Fingerprint)
		}
	}
	if checked == 0 {
		t.Skip("the machine was too slow to check any renewal within one lease")
	}
	want := record("fp-owner", 201, []byte("done"))
	s.complete(t, key, tok, want)
	checkRecord(t, s.expectCompleted(t, key, "fp-owner"), want)
}

// testRecordExpiry stores a record that expires soon and checks that the
// key is free again once ExpiresAt has passed, and not before.
func testRecordExpiry(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("expiry")
	tok := s.acquire(t, key, "fp-1", longLease)
	rec := record("fp-1", 201, []byte("short-lived"))
	rec.ExpiresAt = time.Now().Add(s.opts.Lease)
	s.complete(t, key, tok, rec)
	var c idempotency.Claim
	s.poll(t, "record expired", func() bool {
		var err error
		c, err = s.store.Claim(ctx, key, "fp-2", longLease)
		answered := time.Now() // the store decided before this
		if err != nil {
			t.Fatalf("Claim while waiting for expiry: %v", err)
		}
		switch c.State {
		case idempotency.Completed:
			return false
		case idempotency.Acquired:
			// Clocks are read on both sides; allow a little skew.
			if early := rec.ExpiresAt.Sub(answered); early > 20*time.Millisecond {
				t.Fatalf("key freed %v before the record's ExpiresAt", early)
			}
			return true
		}
		t.Fatalf("Claim on a completed key: state %v, want completed or acquired", c.State)
		return false
	})
	if c.TakenOver {
		t.Fatal("Claim after the record expired reports TakenOver; no lease had lapsed")
	}
	s.expectInFlight(t, key, "fp-2")
}
