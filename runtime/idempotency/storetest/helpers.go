package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// MustClaim claims key on s with fingerprint fp and the given lease, and
// fails the test at once when the claim errs or, unless want is zero,
// when it ends in a state other than want. It is for a store's own tests
// beyond [Run]: a store's unit tests, and the store tests of this module,
// read as a sequence of expected states rather than of error checks.
func MustClaim(t testing.TB, s idempotency.ClaimStore, key, fp string, lease time.Duration, want idempotency.ClaimState) idempotency.Claim {
	t.Helper()
	c, err := s.Claim(context.Background(), key, fp, lease)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	if want != 0 && c.State != want {
		t.Fatalf("Claim(%q) state = %v, want %v (%+v)", key, c.State, want, c)
	}
	return c
}
