package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Options tunes the suite. Zero fields take their defaults.
type Options struct {
	// Rounds is how often the one-key race is repeated, each time on a
	// fresh key. Default 1000.
	Rounds int
	// Racers is how many goroutines claim the key at once. Default 64.
	Racers int
	// Lease is the short lease used by the expiry, takeover and renewal
	// checks. Default 200ms.
	Lease time.Duration
	// Patience bounds every poll for a state change. Default 10s.
	Patience time.Duration
}

func (o Options) withDefaults() Options {
	if o.Rounds <= 0 {
		o.Rounds = 1000
	}
	if o.Racers <= 0 {
		o.Racers = 64
	}
	if o.Lease <= 0 {
		o.Lease = 200 * time.Millisecond
	}
	if o.Patience <= 0 {
		o.Patience = 10 * time.Second
	}
	return o
}

// Run checks a ClaimStore against the contract with default Options.
func Run(t *testing.T, newStore func(t *testing.T) idempotency.ClaimStore) {
	t.Helper()
	RunWith(t, Options{}, newStore)
}

// RunWith checks a ClaimStore against the contract, each check in a
// subtest with a store of its own.
func RunWith(t *testing.T, opts Options, newStore func(t *testing.T) idempotency.ClaimStore) {
	t.Helper()
	opts = opts.withDefaults()
	checks := []struct {
		name string
		fn   func(*testing.T, *suite)
	}{
		{"TTL", testTTL},
		{"RoundTrip", testRoundTrip},
		{"BodyOmitted", testBodyOmitted},
		{"EmptyRecord", testEmptyRecord},
		{"InFlight", testInFlight},
		{"AbandonFreesKey", testAbandon},
		{"WrongToken", testWrongToken},
		{"TokenAfterCompletion", testTokenAfterCompletion},
		{"StaleTokenAfterAbandon", testStaleAfterAbandon},
		{"LeaseTakeover", testTakeover},
		{"RenewKeepsOwner", testRenew},
		{"RecordExpiry", testRecordExpiry},
		{"FenceGrows", testFence},
		{"KeysIsolated", testKeysIsolated},
		{"KeysWithOddBytes", testOddKeys},
		{"CancelledContext", testCancelled},
		{"InvalidLease", testInvalidLease},
		{"DistinctKeysInParallel", testParallelKeys},
		{"OneWinnerRace", testRace},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := &suite{opts: opts, store: newStore(t), prefix: "storetest:" + randomHex(6) + ":"}
			c.fn(t, s)
		})
	}
}

// suite is what a check needs: the store under test, the options and a
// key prefix unique to the check, so even a store that forgot to isolate
// its instances does not see another check's keys.
type suite struct {
	opts   Options
	store  idempotency.ClaimStore
	prefix string
}

func (s *suite) key(name string) string { return s.prefix + name }

// longLease is for claims that must not lapse during a check.
const longLease = time.Minute

func (s *suite) acquire(t *testing.T, key, fp string, lease time.Duration) string {
	t.Helper()
	c, err := s.store.Claim(context.Background(), key, fp, lease)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	if c.State != idempotency.Acquired {
		t.Fatalf("Claim(%q) on a free key: state %v, want acquired", key, c.State)
	}
	if c.Token == "" {
		t.Fatalf("Claim(%q): acquired with an empty token", key)
	}
	if c.TakenOver {
		t.Fatalf("Claim(%q) on a free key: TakenOver is set", key)
	}
	return c.Token
}

func (s *suite) claim(t *testing.T, key, fp string) idempotency.Claim {
	t.Helper()
	c, err := s.store.Claim(context.Background(), key, fp, longLease)
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	return c
}

func (s *suite) complete(t *testing.T, key, token string, rec *idempotency.Record) {
	t.Helper()
	if err := s.store.Complete(context.Background(), key, token, rec); err != nil {
		t.Fatalf("Complete(%q) by the owner: %v", key, err)
	}
}

// expectInFlight checks that key is held by an owner with fingerprint fp.
func (s *suite) expectInFlight(t *testing.T, key, fp string) {
	t.Helper()
	c := s.claim(t, key, "intruder")
	if c.State != idempotency.InFlight {
		t.Fatalf("Claim(%q) while owned: state %v, want in-flight", key, c.State)
	}
	if c.Fingerprint != fp {
		t.Fatalf("Claim(%q) while owned: fingerprint %q, want the owner's %q", key, c.Fingerprint, fp)
	}
}

// expectCompleted checks that key holds a record with fingerprint fp and
// returns it.
func (s *suite) expectCompleted(t *testing.T, key, fp string) *idempotency.Record {
	t.Helper()
	c := s.claim(t, key, "intruder")
	if c.State != idempotency.Completed {
		t.Fatalf("Claim(%q) after completion: state %v, want completed", key, c.State)
	}
	if c.Record == nil {
		t.Fatalf("Claim(%q) completed without a record", key)
	}
	if c.Fingerprint != fp || c.Record.Fingerprint != fp {
		t.Fatalf("Claim(%q) completed: fingerprint %q (record %q), want %q", key, c.Fingerprint, c.Record.Fingerprint, fp)
	}
	return c.Record
}

func expectNotOwner(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("%s: got error %v, want ErrNotOwner", what, err)
	}
}

// poll calls cond until it reports true, failing the test after patience.
func (s *suite) poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(s.opts.Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not the case after %v", what, s.opts.Patience)
		}
		time.Sleep(s.opts.Lease / 20)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// record builds a record that exercises what a store must keep exactly.
func record(fp string, status int, body []byte) *idempotency.Record {
	now := time.Now()
	return &idempotency.Record{
		Fingerprint: fp,
		Status:      status,
		Header: map[string][]string{
			"Content-Type": {"application/json"},
			"Set-Cookie":   {"a=1; Path=/", "b=2; Path=/"},
			"Link":         {"</next>; rel=next", "</prev>; rel=prev", "</first>; rel=first"},
			"X-Trace":      {"t-" + fp},
		},
		Body:      body,
		CreatedAt: now,
		ExpiresAt: now.Add(time.Hour),
	}
}
