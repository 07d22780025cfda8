package storetest

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func testTTL(t *testing.T, s *suite) {
	if ttl := s.store.TTL(); ttl <= 0 {
		t.Fatalf("TTL() = %v, want a positive duration", ttl)
	}
}

// binaryBody holds every byte value, NUL and invalid UTF-8 included.
func binaryBody() []byte {
	b := make([]byte, 0, 600)
	for i := range 512 {
		b = append(b, byte(i*7+i/256))
	}
	return append(b, "\x00\xff\xfe{\"end\":true}"...)
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("%s: %v, want %v (off by %v, more than 1ms)", what, got, want, d)
	}
}

func checkRecord(t *testing.T, got, want *idempotency.Record) {
	t.Helper()
	if got.Status != want.Status {
		t.Fatalf("replayed status %d, want %d", got.Status, want.Status)
	}
	if len(got.Header) != len(want.Header) || (len(want.Header) > 0 && !reflect.DeepEqual(got.Header, want.Header)) {
		t.Fatalf("replayed headers %q, want %q (every value, in order)", got.Header, want.Header)
	}
	if !bytes.Equal(got.Body, want.Body) {
		t.Fatalf("replayed body of %d bytes differs from the stored %d bytes", len(got.Body), len(want.Body))
	}
	if got.BodyOmitted != want.BodyOmitted {
		t.Fatalf("replayed BodyOmitted %v, want %v", got.BodyOmitted, want.BodyOmitted)
	}
	sameTime(t, "replayed CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "replayed ExpiresAt", got.ExpiresAt, want.ExpiresAt)
}

func testRoundTrip(t *testing.T, s *suite) {
	key := s.key("round-trip")
	tok := s.acquire(t, key, "fp-1", longLease)
	want := record("fp-1", 201, binaryBody())
	// Sub-millisecond parts catch a store that keeps whole seconds only.
	want.CreatedAt = want.CreatedAt.Truncate(time.Millisecond).Add(987 * time.Millisecond)
	want.ExpiresAt = want.CreatedAt.Add(time.Hour + 123456789)
	s.complete(t, key, tok, want)
	got := s.expectCompleted(t, key, "fp-1")
	checkRecord(t, got, want)
	// A replay must not consume the record.
	checkRecord(t, s.expectCompleted(t, key, "fp-1"), want)
	// A different fingerprint still sees the original, untouched.
	c := s.claim(t, key, "fp-other")
	if c.State != idempotency.Completed || c.Fingerprint != "fp-1" {
		t.Fatalf("Claim with another fingerprint: state %v fingerprint %q, want completed with fp-1", c.State, c.Fingerprint)
	}
}

func testBodyOmitted(t *testing.T, s *suite) {
	key := s.key("omitted")
	tok := s.acquire(t, key, "fp-omit", longLease)
	want := record("fp-omit", 200, nil)
	want.BodyOmitted = true
	s.complete(t, key, tok, want)
	got := s.expectCompleted(t, key, "fp-omit")
	checkRecord(t, got, want)
}

func testEmptyRecord(t *testing.T, s *suite) {
	key := s.key("empty")
	tok := s.acquire(t, key, "fp-empty", longLease)
	now := time.Now()
	want := &idempotency.Record{Fingerprint: "fp-empty", Status: 204, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	s.complete(t, key, tok, want)
	checkRecord(t, s.expectCompleted(t, key, "fp-empty"), want)
}

func testInFlight(t *testing.T, s *suite) {
	key := s.key("in-flight")
	s.acquire(t, key, "fp-owner", longLease)
	c := s.claim(t, key, "fp-second")
	if c.State != idempotency.InFlight {
		t.Fatalf("second Claim: state %v, want in-flight", c.State)
	}
	if c.Fingerprint != "fp-owner" {
		t.Fatalf("second Claim: fingerprint %q, want the owner's fp-owner", c.Fingerprint)
	}
	if c.Token != "" || c.TakenOver || c.Record != nil {
		t.Fatalf("second Claim: in-flight answer carries token %q, TakenOver %v, record %v", c.Token, c.TakenOver, c.Record)
	}
}

func testAbandon(t *testing.T, s *suite) {
	key := s.key("abandon")
	tok := s.acquire(t, key, "fp-a", longLease)
	if err := s.store.Abandon(context.Background(), key, tok); err != nil {
		t.Fatalf("Abandon by the owner: %v", err)
	}
	tok2 := s.acquire(t, key, "fp-b", longLease)
	if tok2 == tok {
		t.Fatalf("a new claim after Abandon reused the old token %q", tok)
	}
	s.expectInFlight(t, key, "fp-b")
}

// testWrongToken presents tokens that never owned the key, and checks that
// the owner's claim survives every attempt.
func testWrongToken(t *testing.T, s *suite) {
	ctx := context.Background()
	key, other := s.key("owned"), s.key("other")
	tok := s.acquire(t, key, "fp-owner", longLease)
	otherTok := s.acquire(t, other, "fp-other", longLease)
	for _, bad := range []string{"", "bogus", otherTok, tok + "x", tok[:len(tok)-1]} {
		expectNotOwner(t, "Complete with a wrong token", s.store.Complete(ctx, key, bad, record("fp-bad", 200, []byte("bad"))))
		expectNotOwner(t, "Abandon with a wrong token", s.store.Abandon(ctx, key, bad))
		expectNotOwner(t, "Renew with a wrong token", s.store.Renew(ctx, key, bad, longLease))
		s.expectInFlight(t, key, "fp-owner")
	}
	// A token is bound to its key, not only to the store.
	expectNotOwner(t, "Complete of another key with a valid token", s.store.Complete(ctx, other, tok, record("fp-bad", 200, nil)))
	s.expectInFlight(t, other, "fp-other")
	want := record("fp-owner", 201, []byte(`{"ok":true}`))
	s.complete(t, key, tok, want)
	checkRecord(t, s.expectCompleted(t, key, "fp-owner"), want)
}

func testTokenAfterCompletion(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("completed")
	tok := s.acquire(t, key, "fp-1", longLease)
	want := record("fp-1", 201, []byte("first"))
	s.complete(t, key, tok, want)
	expectNotOwner(t, "second Complete with the used token", s.store.Complete(ctx, key, tok, record("fp-2", 500, []byte("second"))))
	expectNotOwner(t, "Abandon after Complete", s.store.Abandon(ctx, key, tok))
	expectNotOwner(t, "Renew after Complete", s.store.Renew(ctx, key, tok, longLease))
	checkRecord(t, s.expectCompleted(t, key, "fp-1"), want)
}

func testStaleAfterAbandon(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("reclaimed")
	old := s.acquire(t, key, "fp-old", longLease)
	if err := s.store.Abandon(ctx, key, old); err != nil {
		t.Fatalf("Abandon by the owner: %v", err)
	}
	expectNotOwner(t, "Abandon twice", s.store.Abandon(ctx, key, old))
	tok := s.acquire(t, key, "fp-new", longLease)
	expectNotOwner(t, "Complete with the abandoned token", s.store.Complete(ctx, key, old, record("fp-old", 200, nil)))
	expectNotOwner(t, "Renew with the abandoned token", s.store.Renew(ctx, key, old, longLease))
	expectNotOwner(t, "Abandon with the abandoned token", s.store.Abandon(ctx, key, old))
	s.expectInFlight(t, key, "fp-new")
	s.complete(t, key, tok, record("fp-new", 201, nil))
	s.expectCompleted(t, key, "fp-new")
}

func testInvalidLease(t *testing.T, s *suite) {
	ctx := context.Background()
	key := s.key("lease")
	for _, lease := range []time.Duration{0, -time.Second} {
		c, err := s.store.Claim(ctx, key, "fp", lease)
		if err == nil && c.State == idempotency.Acquired {
			// Accepting it is allowed only if the claim is still usable.
			if err := s.store.Abandon(ctx, key, c.Token); err != nil {
				t.Fatalf("Claim with lease %v acquired, but Abandon failed: %v", lease, err)
			}
		}
	}
	s.acquire(t, key, "fp", longLease)
}
