package mysqlstore

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// A retry after a broken connection presents the same token; it must find
// its own claim, not report it as someone else's in flight.
func TestSameTokenReclaims(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	first, err := s.claimOnce(ctx, "k", "fp", "tok", time.Minute)
	if err != nil || first.State != idempotency.Acquired {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := s.claimOnce(ctx, "k", "fp", "tok", time.Minute)
	if err != nil || again.State != idempotency.Acquired || again.Token != "tok" || again.TakenOver {
		t.Fatalf("retry with the same token = %+v, %v", again, err)
	}
	// The retry is the same acquisition, so it holds the same fence.
	if again.Fence != first.Fence || first.Fence == 0 {
		t.Fatalf("retry with the same token: fence %d, first %d; want the same, not 0", again.Fence, first.Fence)
	}
	if other, err := s.claimOnce(ctx, "k", "fp", "tok2", time.Minute); err != nil || other.State != idempotency.InFlight {
		t.Fatalf("other token = %+v, %v", other, err)
	}
}

// A record's expiry frees the key as a fresh claim, not as a takeover;
// only a lapsed lease is a takeover.
func TestExpiredRecordIsFreshNotTakeover(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(ctx, "k", a.Token, &idempotency.Record{Status: 200, Body: []byte("x"), ExpiresAt: time.Now().Add(80 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed)
	time.Sleep(150 * time.Millisecond)
	c := storetest.MustClaim(t, s, "k", "fp2", time.Minute, idempotency.Acquired)
	if c.TakenOver {
		t.Fatalf("claim over an expired record reported TakenOver")
	}
	// The old record's body and status are gone: the key is in flight.
	if in := storetest.MustClaim(t, s, "k", "x", time.Minute, idempotency.InFlight); in.Fingerprint != "fp2" {
		t.Fatalf("in flight with fingerprint %q, want fp2", in.Fingerprint)
	}
}

// An empty fingerprint at Complete keeps the claim's; no ExpiresAt means
// the store's TTL on the database clock.
func TestCompleteKeepsClaimFingerprintAndDefaultsExpiry(t *testing.T) {
	s, _ := newStore(t, WithTTL(time.Hour))
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "claim-fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(ctx, "k", a.Token, &idempotency.Record{Status: 200}); err != nil {
		t.Fatal(err)
	}
	c := storetest.MustClaim(t, s, "k", "x", time.Minute, idempotency.Completed)
	if c.Fingerprint != "claim-fp" {
		t.Fatalf("fingerprint %q, want the claim's", c.Fingerprint)
	}
	if d := time.Until(c.Record.ExpiresAt); d < time.Hour-time.Minute || d > time.Hour+time.Minute {
		t.Fatalf("ExpiresAt in %v, want about the TTL of 1h", d)
	}
	if d := time.Since(c.Record.CreatedAt); d < -time.Minute || d > time.Minute {
		t.Fatalf("CreatedAt %v ago, want about now", d)
	}
}

// A record larger than max_allowed_packet is refused with
// ErrRecordTooLarge, the claim survives, and a lean record then completes.
func TestRecordTooLarge(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	var packet int
	if err := db.QueryRow("SELECT @@max_allowed_packet").Scan(&packet); err != nil {
		t.Fatal(err)
	}
	a := storetest.MustClaim(t, s, "big", "fp", time.Minute, idempotency.Acquired)
	err := s.Complete(ctx, "big", a.Token, &idempotency.Record{Status: 200, Body: make([]byte, packet)})
	if !errors.Is(err, idempotency.ErrRecordTooLarge) {
		t.Fatalf("Complete of a %d-byte body = %v, want ErrRecordTooLarge", packet, err)
	}
	storetest.MustClaim(t, s, "big", "fp", time.Minute, idempotency.InFlight)
	if err := s.Complete(ctx, "big", a.Token, &idempotency.Record{Status: 200, BodyOmitted: true}); err != nil {
		t.Fatalf("lean Complete after the refusal: %v", err)
	}
	// Just under the limit is stored and replayed whole.
	b := storetest.MustClaim(t, s, "fits", "fp", time.Minute, idempotency.Acquired)
	body := bytes.Repeat([]byte{0, 0xff, 'x'}, (packet-rowOverhead)/3)
	if err := s.Complete(ctx, "fits", b.Token, &idempotency.Record{Status: 200, Body: body}); err != nil {
		t.Fatalf("Complete of %d bytes under a %d-byte packet: %v", len(body), packet, err)
	}
	if c := storetest.MustClaim(t, s, "fits", "fp", time.Minute, idempotency.Completed); !bytes.Equal(c.Record.Body, body) {
		t.Fatalf("replayed %d bytes, want the %d stored", len(c.Record.Body), len(body))
	}
}

func TestBadInput(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	if _, err := s.Claim(ctx, "", "fp", time.Second); err == nil || !strings.Contains(err.Error(), "empty key") {
		t.Errorf("empty key: %v", err)
	}
	if _, err := s.Claim(ctx, strings.Repeat("k", MaxKeyBytes+1), "fp", time.Second); err == nil || !strings.Contains(err.Error(), "MaxKeyBytes") {
		t.Errorf("long key: %v", err)
	}
	storetest.MustClaim(t, s, strings.Repeat("k", MaxKeyBytes), "fp", time.Minute, idempotency.Acquired)
	if _, err := s.Claim(ctx, "k", "fp", 0); err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("zero lease: %v", err)
	}
	if err := s.Complete(ctx, "k", "t", nil); err == nil || !strings.Contains(err.Error(), "nil record") {
		t.Errorf("nil record: %v", err)
	}
	if err := s.Renew(ctx, "k", "t", 0); err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("zero renewal: %v", err)
	}
	if _, err := s.DeleteExpired(ctx, 0); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("zero batch: %v", err)
	}
	for _, tc := range []struct {
		s    *Store
		want string
	}{
		{New(nil), "nil db"},
		{New(db, WithTable("")), "WithTable"},
		{New(db, WithDatabase("")), "WithDatabase"},
		{New(db, WithTTL(-time.Second)), "WithTTL"},
	} {
		if err := tc.s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Migrate: %v, want an error naming %s", err, tc.want)
		}
		if _, err := tc.s.Claim(ctx, "k", "fp", time.Second); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Claim: %v, want an error naming %s", err, tc.want)
		}
	}
}

func TestOddTableNameIsQuotedAndDatabaseQualified(t *testing.T) {
	_, db := newStore(t)
	var database string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&database); err != nil {
		t.Fatal(err)
	}
	s := newStoreOn(t, db, WithDatabase(database), WithTTL(time.Hour))
	odd := New(db, WithTable("odd `table`; DROP "+strings.TrimPrefix(s.table, "mysqlstore_test_")))
	if err := odd.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + odd.Table()) })
	for _, st := range []*Store{s, odd} {
		a := storetest.MustClaim(t, st, "k", "fp", time.Minute, idempotency.Acquired)
		if err := st.Complete(context.Background(), "k", a.Token, &idempotency.Record{Status: 204}); err != nil {
			t.Fatal(err)
		}
		storetest.MustClaim(t, st, "k", "fp", time.Minute, idempotency.Completed)
	}
	if !strings.HasPrefix(s.Table(), "`"+database+"`.`") || s.TTL() != time.Hour {
		t.Fatalf("Table() = %s, TTL() = %v", s.Table(), s.TTL())
	}
}

func TestMigrateConcurrentlyAndAgain(t *testing.T) {
	db := newDB(t, dbConfig(t))
	table := "mysqlstore_test_migrate_" + strings.ToLower(randomName())
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + quoteIdent(table)) })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- New(db, WithTable(table)).Migrate(context.Background()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	s := New(db, WithTable(table))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if !strings.Contains(s.Schema(), "CREATE TABLE IF NOT EXISTS "+quoteIdent(table)) {
		t.Fatalf("Schema() does not create %s:\n%s", table, s.Schema())
	}
}

func TestSupportedVersions(t *testing.T) {
	for version, ok := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1": true,
		"10.5.0-MariaDB":             true,
		"11.4.2-MariaDB-log":         true,
		"10.4.34-MariaDB":            false,
		"8.0.36":                     false, // MySQL: no RETURNING
		"5.5.5-10.11.6-MariaDB":      true,  // the prefix some servers show old clients
		"5.5.5-10.4.6-MariaDB":       false,
	} {
		if err := supported(version); (err == nil) != ok {
			t.Errorf("supported(%q) = %v, want ok=%v", version, err, ok)
		}
	}
}

func randomName() string {
	return strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
}
